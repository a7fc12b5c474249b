// HTTP side of model sources: hub repo ids (resolved through env.remoteHost, cached) and plain directory URLs.
// With a disk cache, open() streams a download into the cache file and reads tensors from there; get() and the
// browser Cache API hold the file in memory. download.ts does the bounded GET itself.
import { env } from "../env.js";
import { warnOnce } from "../log.js";
import { FetchError, InputError } from "../errors.js";
import { openCache, type CacheKey, type FileCache } from "./cache.js";
import type { ModelSource } from "./checkpoint.js";
import { diskLimit, fetchBody, fetchBytes, type ProgressInfo } from "./download.js";
import { bytesFile, type RandomAccessFile } from "./random-access.js";

export type { ProgressInfo };

/** Options of openSource(); declared here, below source.ts, so hub.ts never imports it (source.ts re-exports). */
export interface OpenSourceOptions {
  /** Hub branch, tag or commit; default "main". Ignored for directories and URLs. */
  revision?: string;
  onProgress?: (p: ProgressInfo) => void;
}

/** Reject file names that would escape the model directory or the cache. */
export function checkFileName(file: string): string {
  const parts = typeof file === "string" ? file.split(/[\\/]/) : [""];
  if (file === "" || /^[\\/]|^[A-Za-z]:/.test(file) || parts.some((p) => p === ".." || p === "." || p === "")) {
    throw new InputError(`model file name '${file}' must be a relative path without '.', '..' or empty segments`);
  }
  return file;
}

/** Encode each path segment for a URL, keeping the slashes. */
function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/** The URL of one file of a hub repo under the current env.remoteHost and env.remotePathTemplate. */
export function hubUrl(repo: string, revision: string, file: string): string {
  const path = env.remotePathTemplate
    .replaceAll("{model}", encodePath(repo))
    .replaceAll("{revision}", encodeURIComponent(revision))
    .replaceAll("{file}", encodePath(file));
  return `${env.remoteHost.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

/** A hub repo id as a ModelSource: cache first, then the network, storing what it fetched. */
export function hubSource(repo: string, opts: OpenSourceOptions = {}): ModelSource {
  const revision = opts.revision ?? "main";
  if (revision === "" || revision.split("/").some((p) => p === ".." || p === "." || p === "")) {
    throw new InputError(`hub revision '${revision}' is not a branch, tag or commit name`);
  }
  const where = (file: string) => {
    const url = hubUrl(repo, revision, checkFileName(file));
    // Revisions like "refs/pr/1" must stay one directory level in the cache.
    return { url, key: { url, path: `${repo}/${encodeURIComponent(revision)}/${file}` } };
  };
  // get() and open() differ only in how a file is looked up, sized and downloaded; the order is this one.
  const resolve = async <T>(
    file: string, cache: FileCache | null, lookup: (key: CacheKey) => Promise<T | "absent" | undefined> | undefined,
    sizeOf: (t: T) => number, download: (url: string, key: CacheKey) => Promise<T | null>,
  ): Promise<T | null> => {
    const { url, key } = where(file);
    const cached = await lookup(key);
    if (cached !== undefined && cached !== "absent") {
      const n = sizeOf(cached);
      opts.onProgress?.({ file, loaded: n, total: n, status: "cache" });
      opts.onProgress?.({ file, loaded: n, total: n, status: "done" });
      return cached;
    }
    if (!env.allowRemote) {
      if (cached === "absent") return null;
      throw new FetchError(
        `${repo}: '${file}' is not in the cache${cache ? "" : " (caching is off)"} and remote downloads are disabled ` +
        `(env.allowRemote = false); download it once online or pass a local directory`);
    }
    try {
      return await download(url, key);
    } catch (e) {
      // Offline, a remembered 404 still answers "absent" (HF's .no_exist idea); a positive hit returned above.
      if (cached === "absent" && e instanceof FetchError && /network error/.test(e.message)) return null;
      throw e;
    }
  };
  const get = async (file: string): Promise<Uint8Array | null> => {
    const cache = await openCache();
    return resolve(file, cache, (key) => cache?.match(key), (b) => b.byteLength, async (url, key) => {
      const bytes = await fetchBytes(url, file, opts.onProgress);
      await cache?.put(key, bytes ?? "absent");
      return bytes;
    });
  };
  const open = async (file: string): Promise<RandomAccessFile | null> => {
    const cache = await openCache();
    if (!streamsToDisk(cache)) return inMemory(file, hubUrl(repo, revision, checkFileName(file)), get);
    return resolve(file, cache, (key) => cache.open(key), (f) => f.size, async (url, key) => {
      // A read-only cache (a container's HOME, a shared install) must not stop a load: as get() does, the file is
      // then downloaded into memory (and not cached), with a warning.
      if (!(await cache.writable?.(key))) {
        warnOnce(`cache:${key.path}`, `cache: cannot write under ${env.cacheDir}; ${file} is downloaded into memory, not cached (set env.cacheDir to a writable directory)`);
        const bytes = await fetchBytes(url, file, opts.onProgress);
        return bytes === null ? null : bytesFile(bytes, url);
      }
      const body = await fetchBody(url, file, diskLimit(), opts.onProgress);
      if (body === null) {
        await cache.put(key, "absent");
        return null;
      }
      let f: RandomAccessFile;
      try {
        f = await cache.write(key, body);
      } catch (e) {
        await body.cancel(); // if the write failed before reading the body, nothing else closes the connection
        throw e;
      }
      opts.onProgress?.({ file, loaded: f.size, total: f.size, status: "done" });
      return f;
    });
  };
  return { location: hubUrl(repo, revision, "").replace(/\/+$/, ""), get, open };
}

/** A directory URL as a ModelSource: `<url>/<file>`, never cached (the server is the user's own). */
export function urlSource(url: string, opts: OpenSourceOptions = {}): ModelSource {
  const base = url.replace(/\/+$/, "");
  const get = async (file: string): Promise<Uint8Array | null> => {
    const target = `${base}/${encodePath(checkFileName(file))}`;
    if (!env.allowRemote) {
      throw new FetchError(`GET ${target}: remote downloads are disabled (env.allowRemote = false)`);
    }
    return fetchBytes(target, file, opts.onProgress);
  };
  return {
    location: base,
    get,
    open: async (file) => inMemory(file, `${base}/${encodePath(checkFileName(file))}`, get),
  };
}

/** A cache that can open its files and write downloads chunk by chunk (the disk cache). */
function streamsToDisk(c: FileCache | null): c is FileCache & Required<Pick<FileCache, "open" | "write">> {
  return c?.open !== undefined && c.write !== undefined;
}

/** open() where there is no disk to stream to: the whole file from get(), held in memory. */
async function inMemory(
  file: string, url: string, get: (file: string) => Promise<Uint8Array | null>,
): Promise<RandomAccessFile | null> {
  const bytes = await get(file);
  return bytes === null ? null : bytesFile(bytes, url);
}
