// The download cache: files under env.cacheDir in Node/Deno (atomic writes), the Cache API in browsers.
// Also remembers 404s, so an offline open can still tell "absent" from "not yet downloaded".
import { BROWSER_CACHE_NAME, env, hasFileSystem } from "../env.js";
import { FetchError } from "../errors.js";
import { warnOnce } from "../log.js";
import { nodeFs, openLocalFile, readWhole, type RandomAccessFile } from "./random-access.js";

/** One cached file: `path` keys the disk cache (repo/revision/file), `url` keys the Cache API. */
export interface CacheKey {
  path: string;
  url: string;
}

export interface FileCache {
  readonly kind: "disk" | "cache-api";
  /** The bytes, "absent" for a remembered 404, or undefined when nothing is stored. */
  match(key: CacheKey): Promise<Uint8Array | "absent" | undefined>;
  /** Store bytes or an absence marker; failures are logged, never thrown (the cache is an optimization). */
  put(key: CacheKey, value: Uint8Array | "absent"): Promise<void>;
  /** Disk cache only: the cached file opened for random reads, "absent" for a remembered 404, else undefined. */
  open?(key: CacheKey): Promise<RandomAccessFile | "absent" | undefined>;
  /**
   * Disk cache only: write a download chunk by chunk to a temp file beside the target, rename it into place and open
   * it. On any error (the download's or the disk's) the temp file is removed and a FetchError is thrown.
   */
  write?(key: CacheKey, chunks: AsyncIterable<Uint8Array>): Promise<RandomAccessFile>;
  /** Disk cache only: whether `key`'s directory can be created and written (checked before a download starts). */
  writable?(key: CacheKey): Promise<boolean>;
}

/**
 * A regular file's bytes, read with a bound (openLocalFile's checks: a plain file whose size and mtime hold while it
 * is read, at most one buffer's worth). Errors of the file system itself (ENOENT…) pass through.
 */
export async function readRegularFile(path: string): Promise<Uint8Array> {
  return readWhole(await openLocalFile(path), path);
}

/** The cache selected by env (read at each call), or null when caching is off or unavailable. */
export async function openCache(): Promise<FileCache | null> {
  if (!env.useCache) return null;
  if (hasFileSystem && env.cacheDir) return diskCache(env.cacheDir);
  const caches = (globalThis as { caches?: CacheStorage }).caches;
  if (caches) return cacheApi(caches);
  return null;
}

// HF's cache keeps 404 markers in a `.no_exist` tree beside the files; same idea.
const ABSENT_DIR = ".no-exist";

function diskCache(root: string): FileCache {
  const base = root.replace(/[\\/]+$/, "");
  const absent = async (key: CacheKey) => {
    try {
      await (await nodeFs()).access(`${base}/${ABSENT_DIR}/${key.path}`);
      return "absent" as const;
    } catch {
      return undefined;
    }
  };
  return {
    kind: "disk",
    async match(key) {
      try {
        return await readRegularFile(`${base}/${key.path}`);
      } catch {
        // fall through to the absence marker (a cached file that is not a plain file is downloaded again)
      }
      return absent(key);
    },
    async open(key) {
      const path = `${base}/${key.path}`;
      try {
        return await openLocalFile(path);
      } catch (e) {
        // Not cached (or not a plain file there: downloaded again). Anything else (EMFILE, EACCES) is an error, not a
        // reason to download 470 MB again.
        const code = (e as { code?: string }).code;
        if (code === "ENOENT" || code === "ENOTDIR" || (e instanceof FetchError && /not a regular file/.test(e.message))) return absent(key);
        throw e instanceof FetchError ? e : new FetchError(`cache: cannot read ${path}: ${code ?? (e as Error).message}`);
      }
    },
    async put(key, value) {
      const path = value === "absent" ? `${base}/${ABSENT_DIR}/${key.path}` : `${base}/${key.path}`;
      try {
        await atomicWrite(path, async (h) => { if (value !== "absent") await writeAll(h, value); });
        if (value !== "absent") await (await nodeFs()).rm(`${base}/${ABSENT_DIR}/${key.path}`, { force: true });
      } catch (e) {
        warnOnce(`cache:${path}`, `cache: could not write ${path}: ${(e as Error).message}`);
      }
    },
    async writable(key) {
      const fs = await nodeFs(), path = `${base}/${key.path}`, dir = path.slice(0, path.lastIndexOf("/"));
      try {
        await fs.mkdir(dir, { recursive: true });
        await fs.access(dir, fs.constants.W_OK);
        return true;
      } catch {
        return false;
      }
    },
    async write(key, chunks) {
      const path = `${base}/${key.path}`;
      try {
        await atomicWrite(path, async (h) => { for await (const c of chunks) await writeAll(h, c); });
        await (await nodeFs()).rm(`${base}/${ABSENT_DIR}/${key.path}`, { force: true });
        return await openLocalFile(path);
      } catch (e) {
        if (e instanceof FetchError) throw e;
        throw new FetchError(`cache: could not write ${path}: ${(e as Error).message}`);
      }
    },
  };
}

type FileHandle = Awaited<ReturnType<Awaited<ReturnType<typeof nodeFs>>["open"]>>;

/**
 * Write beside the target, then rename: readers never see half a file, and concurrent downloads of the same file
 * each rename a complete copy. On any error the temp file is removed and the error rethrown.
 */
async function atomicWrite(path: string, fill: (h: FileHandle) => Promise<void>): Promise<void> {
  const fs = await nodeFs();
  const tmp = `${path}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`;
  try {
    await fs.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    const h = await fs.open(tmp, "wx");
    try {
      await fill(h);
    } finally {
      await h.close();
    }
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
}

/** FileHandle.write may write less than asked; loop until the chunk is on disk. */
async function writeAll(h: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.byteLength;) {
    const { bytesWritten } = await h.write(bytes, off, bytes.byteLength - off);
    if (bytesWritten === 0) throw new Error("the disk accepted no bytes");
    off += bytesWritten;
  }
}

const ABSENT_HEADER = "x-germ-absent";

function cacheApi(caches: CacheStorage): FileCache {
  let store: Promise<Cache> | undefined;
  const open = () => (store ??= caches.open(BROWSER_CACHE_NAME));
  return {
    kind: "cache-api",
    async match(key) {
      try {
        const res = await (await open()).match(key.url);
        if (!res) return undefined;
        if (res.headers.get(ABSENT_HEADER) === "1") return "absent";
        return new Uint8Array(await res.arrayBuffer());
      } catch (e) {
        warnOnce(`cache:${key.url}`, `cache: could not read ${key.url}: ${(e as Error).message}`);
        return undefined;
      }
    },
    async put(key, value) {
      try {
        const res = value === "absent"
          ? new Response(null, { headers: { [ABSENT_HEADER]: "1" } })
          : new Response(value as BodyInit, { headers: { "content-length": String(value.byteLength) } });
        await (await open()).put(key.url, res);
      } catch (e) {
        // Quota errors land here; the model still loads, it just downloads again next time.
        warnOnce(`cache:${key.url}`, `cache: could not store ${key.url}: ${(e as Error).message}`);
      }
    },
  };
}
