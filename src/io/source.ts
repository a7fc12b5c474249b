// Where model files come from: a local directory, an http(s) directory URL, or a hub repo id (cached).
// openSource() picks one from the string; the checkpoint loader only sees ModelSource.get(file).
import { hasFileSystem } from "../env.js";
import { FetchError, InputError } from "../errors.js";
import { readRegularFile } from "./cache.js";
import { nodeFs, openLocalFile } from "./random-access.js";
import { checkFileName, hubSource, urlSource, type OpenSourceOptions, type ProgressInfo } from "./hub.js";
import type { ModelSource } from "./checkpoint.js";

// ModelSource is declared beside its consumer (checkpoint.ts), OpenSourceOptions and ProgressInfo in hub.ts
// (so hub.ts needs nothing from here); all re-exported so sources are importable from here.
export type { ModelSource, OpenSourceOptions, ProgressInfo };

// owner/name or a bare legacy name; HF allows letters, digits, '-', '_', '.'.
const HUB_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;
const URL_LIKE = /^https?:\/\//i;
// Explicit paths are never taken as hub ids, even when the directory is missing.
const PATH_LIKE = /^(\.{1,2}([\\/]|$)|[\\/~]|[A-Za-z]:[\\/]|file:)/;

/**
 * Open a model directory, URL or hub repo id.
 * @example
 * const src = await openSource("magicslabnu/GERM", { onProgress: (p) => console.log(p.file, p.loaded) });
 * const config = await src.get("config.json");   // Uint8Array, or null when the repo has no such file
 */
export async function openSource(dirOrUrl: string, opts: OpenSourceOptions = {}): Promise<ModelSource> {
  if (typeof dirOrUrl !== "string" || dirOrUrl.trim() === "") {
    throw new InputError("openSource: expected a directory, URL or hub id, got an empty value");
  }
  const spec = dirOrUrl.trim();
  if (URL_LIKE.test(spec)) return urlSource(spec, opts);
  if (hasFileSystem) {
    const dir = await localDirectory(spec);
    if (dir !== null) return localSource(dir, opts);
    if (PATH_LIKE.test(spec) || !HUB_ID.test(spec)) {
      throw new InputError(`openSource: no such model directory '${spec}' (not a hub id either)`);
    }
  } else if (PATH_LIKE.test(spec) || !HUB_ID.test(spec)) {
    // In a page, relative paths name files served next to it.
    const base = (globalThis as { location?: { href?: string } }).location?.href;
    if (!base) throw new InputError(`openSource: cannot resolve relative path '${spec}' without a page location`);
    return urlSource(new URL(spec, base).href, opts);
  }
  return hubSource(spec, opts);
}

/** The path if it names an existing directory, null if nothing is there; InputError for a plain file. */
async function localDirectory(spec: string): Promise<string | null> {
  const fs = await nodeFs();
  let path = spec;
  if (path.startsWith("file:")) path = decodeURIComponent(new URL(path).pathname);
  else if (path === "~" || path.startsWith("~/")) path = homeOf() + path.slice(1);
  try {
    const st = await fs.stat(path);
    if (!st.isDirectory()) throw new InputError(`openSource: '${spec}' is a file; pass the directory that holds it`);
    return path.replace(/[\\/]+$/, "") || "/";
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw new FetchError(`openSource: cannot read '${spec}': ${(e as Error).message}`);
  }
}

function homeOf(): string {
  const penv = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return penv?.HOME ?? penv?.USERPROFILE ?? "~";
}

function localSource(dir: string, opts: OpenSourceOptions): ModelSource {
  // Absent (ENOENT) is null; anything else the file system says is a FetchError naming the path.
  const opened = async <T>(file: string, use: (path: string) => Promise<T>): Promise<T | null> => {
    const path = `${dir}/${checkFileName(file)}`;
    try {
      return await use(path);
    } catch (e) {
      if (e instanceof FetchError) throw e;
      const code = (e as { code?: string }).code;
      if (code === "ENOENT") return null;
      throw new FetchError(`read ${path}: ${code ?? (e as Error).message}`);
    }
  };
  return {
    location: dir,
    get: (file) => opened(file, async (path) => {
      const bytes = await readRegularFile(path);
      opts.onProgress?.({ file, loaded: bytes.byteLength, total: bytes.byteLength, status: "done" });
      return bytes;
    }),
    open: (file) => opened(file, async (path) => {
      const f = await openLocalFile(path);
      opts.onProgress?.({ file, loaded: f.size, total: f.size, status: "done" });
      return f;
    }),
  };
}
