// HTTP GET of one model file with a size bound: the body is a stream of chunks that stops (and cancels the response)
// as soon as it passes env.maxDownloadBytes, so an endless or oversized response fails instead of growing memory.
// hub.ts collects it into memory (get) or hands it to the disk cache (open), which writes it chunk by chunk.
import { env } from "../env.js";
import { FetchError, InputError } from "../errors.js";
import { MAX_READ } from "./random-access.js";

export interface ProgressInfo {
  file: string;
  /** Bytes received so far (the whole file for "cache" and "done"). */
  loaded: number;
  /** From Content-Length or the file size; absent when the server does not say. */
  total?: number;
  status: "download" | "cache" | "done";
}

/** The most bytes a download may have, and the setting that says so (named in the error). */
export interface DownloadLimit {
  bytes: number;
  name: string;
}

/** The bound of a download to disk: env.maxDownloadBytes. */
export function diskLimit(): DownloadLimit {
  const bytes = env.maxDownloadBytes;
  if (typeof bytes !== "number" || !(bytes >= 0)) {
    throw new InputError(`env.maxDownloadBytes must be a non-negative number of bytes, got ${String(bytes)}`);
  }
  return { bytes, name: "env.maxDownloadBytes" };
}

/** The bound of a download into memory: env.maxDownloadBytes, and never more than one buffer (MAX_READ). */
export function memoryLimit(): DownloadLimit {
  const disk = diskLimit();
  return disk.bytes <= MAX_READ ? disk : { bytes: MAX_READ, name: "the most one buffer holds" };
}

/**
 * GET a URL: null on 404, FetchError (naming URL and status) otherwise; on 200 the body as chunks, each counted
 * against `limit` and reported as a "download" event. The stream fails on a truncated body (fewer bytes than
 * Content-Length). Nothing is read before the caller iterates; stopping early cancels the response.
 */
export async function fetchBody(
  url: string, file: string, limit: DownloadLimit, onProgress?: (p: ProgressInfo) => void,
): Promise<(AsyncIterable<Uint8Array> & { cancel(): Promise<void> }) | null> {
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
  if (total !== undefined && total > limit.bytes) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge(url, limit, `Content-Length says ${total}`);
  }
  // cancel(): for a consumer that fails before it reads (a cache file that cannot be created), so the connection closes.
  return Object.assign(chunks(res, url, limit, (loaded) => onProgress?.({ file, loaded, total, status: "download" }), total),
    { cancel: async () => { await res.body?.cancel().catch(() => {}); } });
}

/** GET a URL into memory (bounded by memoryLimit()) with progress; null on 404. */
export async function fetchBytes(
  url: string, file: string, onProgress?: (p: ProgressInfo) => void,
): Promise<Uint8Array | null> {
  const body = await fetchBody(url, file, memoryLimit(), onProgress);
  if (body === null) return null;
  const parts: Uint8Array[] = [];
  let loaded = 0;
  for await (const c of body) { parts.push(c); loaded += c.byteLength; }
  let bytes = parts[0] ?? new Uint8Array(0);
  if (parts.length > 1) {
    bytes = new Uint8Array(loaded);
    let at = 0;
    for (const c of parts) { bytes.set(c, at); at += c.byteLength; }
  }
  onProgress?.({ file, loaded, total: loaded, status: "done" });
  return bytes;
}

async function* chunks(
  res: Response, url: string, limit: DownloadLimit, onChunk: (loaded: number) => void, total: number | undefined,
): AsyncGenerator<Uint8Array> {
  let loaded = 0;
  const count = (n: number) => {
    loaded += n;
    if (loaded > limit.bytes) throw tooLarge(url, limit, `got ${loaded} so far`);
    onChunk(loaded);
  };
  if (!res.body) {
    const whole = new Uint8Array(await res.arrayBuffer().catch((e: Error) => { throw bodyError(url, e); }));
    count(whole.byteLength);
    yield whole;
  } else {
    const reader = res.body.getReader();
    let done = false;
    try {
      for (;;) {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await reader.read();
        } catch (e) {
          throw bodyError(url, e as Error);
        }
        if (r.done) { done = true; break; }
        count(r.value.byteLength);
        yield r.value;
      }
    } finally {
      // Past the limit, on a consumer's error or an early stop: tell the server we are gone.
      if (!done) await reader.cancel().catch(() => {});
    }
  }
  if (total !== undefined && loaded !== total) {
    throw new FetchError(`GET ${url}: truncated download (${loaded} of ${total} bytes)`);
  }
}

function tooLarge(url: string, limit: DownloadLimit, detail: string): FetchError {
  return new FetchError(`GET ${url}: larger than ${limit.bytes} bytes (${detail}; the limit is ${limit.name})`);
}

function bodyError(url: string, e: Error): FetchError {
  return e instanceof FetchError ? e : new FetchError(`GET ${url}: network error while reading the body (${e.message})`);
}
