// Runtime settings (a mutable `env`, as in transformers.js) and frozen facts about the host runtime.
// Isomorphic: no static node: imports, so browser bundles stay clean; Node/Deno values are probed via globals.
import { logSettings, type LogLevel } from "./log.js";

export type { LogLevel };

/**
 * Which JavaScript host we run in; decides between disk cache + fs and Cache API + fetch only. "edge": Cloudflare
 * workerd and wrangler (no file system, no Worker, precompiled Wasm only), which also define `process.versions.node`.
 */
export type Runtime = "node" | "deno" | "browser" | "worker" | "edge" | "unknown";

interface HostGlobals {
  Deno?: { version?: { deno?: string } };
  navigator?: { userAgent?: string };
  process?: { versions?: { node?: string }; env?: Record<string, string | undefined> };
  window?: unknown;
  document?: unknown;
  importScripts?: unknown;
}

function detectRuntime(): Runtime {
  const g = globalThis as HostGlobals;
  // Deno 2 and workerd also define `process`, so test for them first.
  if (typeof g.Deno?.version?.deno === "string") return "deno";
  if (g.navigator?.userAgent === "Cloudflare-Workers") return "edge";
  if (typeof g.process?.versions?.node === "string") return "node";
  if (g.window !== undefined && g.document !== undefined) return "browser";
  if (typeof g.importScripts === "function") return "worker";
  return "unknown";
}

/** The host runtime, detected once at load. */
export const runtime: Runtime = detectRuntime();

/** The Node built-ins germ-js uses (in Node and Deno only). */
export interface NodeBuiltins {
  "fs/promises": typeof import("node:fs/promises");
  os: typeof import("node:os");
  worker_threads: typeof import("node:worker_threads");
  zlib: typeof import("node:zlib");
  stream: typeof import("node:stream");
  v8: typeof import("node:v8");
}

/**
 * A Node built-in, imported on first use. The specifier is not a literal and carries both ignore comments, so
 * browser bundlers (Vite, esbuild, webpack, rollup) neither try to resolve it nor warn about it.
 */
export function nodeBuiltin<K extends keyof NodeBuiltins>(name: K): Promise<NodeBuiltins[K]> {
  const specifier = `node:${name}`;
  return import(/* webpackIgnore: true */ /* @vite-ignore */ specifier) as Promise<NodeBuiltins[K]>;
}

/** True where `node:fs/promises` can be imported (Node, Deno): local directories and the disk cache work. */
export const hasFileSystem: boolean = runtime === "node" || runtime === "deno";

/** An environment variable, or undefined (also when Deno denies --allow-env). */
function readEnvVar(name: string): string | undefined {
  try {
    const v = (globalThis as HostGlobals).process?.env?.[name];
    return v === undefined || v === "" ? undefined : v;
  } catch {
    return undefined;
  }
}

function defaultCacheDir(): string | null {
  if (!hasFileSystem) return null; // browsers and workers use the Cache API instead
  const explicit = readEnvVar("GERM_CACHE");
  if (explicit) return explicit;
  const xdg = readEnvVar("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/germ-js`;
  const home = readEnvVar("HOME") ?? readEnvVar("USERPROFILE");
  return home ? `${home}/.cache/germ-js` : null;
}

/**
 * The settings in {@link env}: where models come from, the cache, logging, precompiled Wasm.
 * @category Settings
 */
export interface GermEnv {
  /** Base URL of the model hub; mirrors and test servers replace it. */
  remoteHost: string;
  /** Path under `remoteHost`; `{model}`, `{revision}` and `{file}` are substituted. */
  remotePathTemplate: string;
  /** When false, hub ids resolve only from the cache and URLs are refused (offline mode). */
  allowRemote: boolean;
  /** On-disk cache root (Node/Deno). null disables the disk cache; browsers use the Cache API "germ-js". */
  cacheDir: string | null;
  /** Read and write the cache at all. */
  useCache: boolean;
  /**
   * The largest file germ-js downloads, in bytes; default 64 GiB (2**36). A download past it (or whose Content-Length
   * says more) is a FetchError naming the URL and the limit, so an endless or oversized response cannot fill the disk
   * or memory. Files read into memory whole (`ModelSource.get`, the browser cache) are also capped at one buffer.
   */
  maxDownloadBytes: number;
  /** The fetch used for every download: swap it for auth headers, proxies or tests. */
  fetch: typeof fetch;
  /** Which console messages germ-js prints; shared with src/log.ts (one setting, two names). */
  logLevel: LogLevel;
  /**
   * Precompiled Wasm builds, used instead of compiling the embedded bytes whenever present. Edge runtimes
   * (Cloudflare workerd) forbid compiling Wasm at run time and only run modules imported as `.wasm` files:
   * `import simd from "germ-js/wasm/simd.wasm"; env.wasmModules = { simd };`. When set, only the builds given
   * here are used (relaxed when the runtime validates relaxed SIMD, else simd; the `-mt` builds for threads).
   */
  wasmModules: WasmModules | null;
}

/**
 * Precompiled germ-js Wasm builds by name (the files `germ-js/wasm/simd.wasm`, `germ-js/wasm/relaxed.wasm`).
 * @category Settings
 */
export interface WasmModules {
  /** The SIMD128 build (germ-js/wasm/simd.wasm): runs wherever Wasm SIMD does. */
  simd?: WebAssembly.Module;
  /** The relaxed-SIMD (FMA) build (germ-js/wasm/relaxed.wasm): used where the runtime validates relaxed SIMD. */
  relaxed?: WebAssembly.Module;
  /** The threaded SIMD128 build (shared memory), for more than one thread. */
  "simd-mt"?: WebAssembly.Module;
  /** The threaded relaxed-SIMD build (shared memory), for more than one thread. */
  "relaxed-mt"?: WebAssembly.Module;
}

/**
 * Mutable settings read at each call, so they may be changed at any time.
 * @category Settings
 * @example
 * import { env } from "germ-js";
 * env.remoteHost = "https://hf-mirror.com";
 * env.cacheDir = "./germ-cache";
 */
export const env: GermEnv = {
  remoteHost: "https://huggingface.co",
  remotePathTemplate: "{model}/resolve/{revision}/{file}",
  allowRemote: true,
  cacheDir: defaultCacheDir(),
  useCache: true,
  maxDownloadBytes: 2 ** 36,
  // Late-bound so a fetch installed on globalThis after import (polyfills, test mocks) is still used.
  fetch: (input, init) => globalThis.fetch(input, init),
  get logLevel(): LogLevel { return logSettings.level; },
  set logLevel(level: LogLevel) { logSettings.level = level; },
  wasmModules: null,
};

/** Name of the Cache API store used in browsers and workers. */
export const BROWSER_CACHE_NAME = "germ-js";
