// The download cache: files under env.cacheDir in Node/Deno (atomic writes), the Cache API in browsers.
// Also remembers 404s, so an offline open can still tell "absent" from "not yet downloaded".
import { BROWSER_CACHE_NAME, env, hasFileSystem } from "../env.js";
import { warnOnce } from "../log.js";
import { nodeFs, openLocalFile, readWhole } from "./random-access.js";

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
  return {
    kind: "disk",
    async match(key) {
      const fs = await nodeFs();
      try {
        return await readRegularFile(`${base}/${key.path}`);
      } catch {
        // fall through to the absence marker (a cached file that is not a plain file is downloaded again)
      }
      try {
        await fs.access(`${base}/${ABSENT_DIR}/${key.path}`);
        return "absent";
      } catch {
        return undefined;
      }
    },
    async put(key, value) {
      const fs = await nodeFs();
      const path = value === "absent" ? `${base}/${ABSENT_DIR}/${key.path}` : `${base}/${key.path}`;
      const dir = path.slice(0, path.lastIndexOf("/"));
      // Write beside the target, then rename: readers never see half a file, and concurrent
      // downloads of the same file each rename a complete copy.
      const tmp = `${path}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`;
      try {
        await fs.mkdir(dir, { recursive: true });
        await fs.writeFile(tmp, value === "absent" ? new Uint8Array(0) : value);
        await fs.rename(tmp, path);
        if (value !== "absent") await fs.rm(`${base}/${ABSENT_DIR}/${key.path}`, { force: true });
      } catch (e) {
        await fs.rm(tmp, { force: true }).catch(() => {});
        warnOnce(`cache:${path}`, `cache: could not write ${path}: ${(e as Error).message}`);
      }
    },
  };
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
