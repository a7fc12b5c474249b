// HTTP side of model sources: hub repo ids (resolved through env.remoteHost, cached) and plain directory URLs.
// Downloads stream through response.body so callers get byte-level progress.
import { env } from "../env.js";
import { FetchError, InputError } from "../errors.js";
import { openCache, type CacheKey } from "./cache.js";
import type { ModelSource } from "./checkpoint.js";

export interface ProgressInfo {
  file: string;
  /** Bytes received so far (the whole file for "cache" and "done"). */
  loaded: number;
  /** From Content-Length or the file size; absent when the server does not say. */
  total?: number;
  status: "download" | "cache" | "done";
}

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
  return {
    location: hubUrl(repo, revision, "").replace(/\/+$/, ""),
    async get(file) {
      checkFileName(file);
      const url = hubUrl(repo, revision, file);
      // Revisions like "refs/pr/1" must stay one directory level in the cache.
      const key: CacheKey = { url, path: `${repo}/${encodeURIComponent(revision)}/${file}` };
      const cache = await openCache();
      const cached = await cache?.match(key);
      if (cached instanceof Uint8Array) {
        const n = cached.byteLength;
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
      let bytes: Uint8Array | null;
      try {
        bytes = await fetchBytes(url, file, opts.onProgress);
      } catch (e) {
        // Offline, a remembered 404 still answers "absent" (HF's .no_exist idea); a positive hit returned above.
        if (cached === "absent" && e instanceof FetchError && /network error/.test(e.message)) return null;
        throw e;
      }
      await cache?.put(key, bytes ?? "absent");
      return bytes;
    },
  };
}

/** A directory URL as a ModelSource: `<url>/<file>`, never cached (the server is the user's own). */
export function urlSource(url: string, opts: OpenSourceOptions = {}): ModelSource {
  const base = url.replace(/\/+$/, "");
  return {
    location: base,
    async get(file) {
      const target = `${base}/${encodePath(checkFileName(file))}`;
      if (!env.allowRemote) {
        throw new FetchError(`GET ${target}: remote downloads are disabled (env.allowRemote = false)`);
      }
      return fetchBytes(target, file, opts.onProgress);
    },
  };
}

/** GET a URL into memory with progress; null on 404, FetchError (naming URL and status) otherwise. */
export async function fetchBytes(
  url: string, file: string, onProgress?: (p: ProgressInfo) => void,
): Promise<Uint8Array | null> {
  let res: Response;
  try {
    res = await env.fetch(url);
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    throw new FetchError(`GET ${url}: network error (${cause ?? (e as Error).message})`);
  }
  if (res.status === 404) {
    await res.body?.cancel().catch(() => {});
    return null;
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    const hint = res.status === 401 || res.status === 403 ? " (private or gated repository? set env.fetch to add a token)" : "";
    throw new FetchError(`GET ${url}: HTTP ${res.status} ${res.statusText}${hint}`.trimEnd());
  }
  const header = res.headers.get("content-length");
  // Content-Length is the encoded size; with gzip the decoded body differs, so treat it as a hint only.
  const total = header !== null && /^\d+$/.test(header) && !res.headers.get("content-encoding") ? Number(header) : undefined;
  const bytes = await readBody(res, url, (loaded) => onProgress?.({ file, loaded, total, status: "download" }));
  if (total !== undefined && bytes.byteLength !== total) {
    throw new FetchError(`GET ${url}: truncated download (${bytes.byteLength} of ${total} bytes)`);
  }
  onProgress?.({ file, loaded: bytes.byteLength, total: bytes.byteLength, status: "done" });
  return bytes;
}

async function readBody(res: Response, url: string, onChunk: (loaded: number) => void): Promise<Uint8Array> {
  try {
    if (!res.body) {
      const whole = new Uint8Array(await res.arrayBuffer());
      onChunk(whole.byteLength);
      return whole;
    }
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.byteLength;
      onChunk(loaded);
    }
    if (chunks.length === 1) return chunks[0]!;
    const out = new Uint8Array(loaded);
    let at = 0;
    for (const c of chunks) { out.set(c, at); at += c.byteLength; }
    return out;
  } catch (e) {
    if (e instanceof FetchError) throw e;
    throw new FetchError(`GET ${url}: network error while reading the body (${(e as Error).message})`);
  }
}
