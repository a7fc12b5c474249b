// Picks and compiles the Wasm build once per process: relaxed SIMD when the runtime validates it (Deno, Chromium;
// Node 20 needs a flag, so it gets plain SIMD), and the shared-memory (threads) build when workers are wanted.
// The bytes are embedded as base64 (generated/, made by scripts/build-wasm.mjs), so no bundler or fs is needed.

import { BackendError } from "../../errors.js";
import { ABI_FINGERPRINT } from "./generated/abi.js";

export type Variant = "simd" | "relaxed" | "simd-mt" | "relaxed-mt";

const SOURCES: Record<Variant, () => Promise<string>> = {
  "simd": async () => (await import("./generated/germ-simd.js")).WASM_BASE64,
  "relaxed": async () => (await import("./generated/germ-relaxed.js")).WASM_BASE64,
  "simd-mt": async () => (await import("./generated/germ-simd-mt.js")).WASM_BASE64,
  "relaxed-mt": async () => (await import("./generated/germ-relaxed-mt.js")).WASM_BASE64,
};

const bytesCache = new Map<Variant, Promise<Uint8Array>>();
const moduleCache = new Map<Variant, Promise<WebAssembly.Module>>();

function bytesOf(v: Variant): Promise<Uint8Array> {
  let p = bytesCache.get(v);
  if (!p) {
    p = SOURCES[v]().then((b64) => {
      const s = atob(b64);
      const out = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
      return out;
    });
    bytesCache.set(v, p);
  }
  return p;
}

/** Whether this runtime accepts the build (relaxed SIMD, threads and SIMD are each checked this way). */
export async function validates(v: Variant): Promise<boolean> {
  try { return WebAssembly.validate((await bytesOf(v)) as BufferSource); } catch { return false; }
}

/** The compiled module of a build (compiled once per process, shared by every backend and worker). */
export function compiled(v: Variant): Promise<WebAssembly.Module> {
  let p = moduleCache.get(v);
  if (!p) {
    p = bytesOf(v).then((b) => WebAssembly.compile(b as BufferSource));
    moduleCache.set(v, p);
  }
  return p;
}

/** The best build for this runtime, or why none runs. */
export async function pickVariant(threads: boolean): Promise<Variant | { unavailable: string }> {
  if (typeof WebAssembly !== "object") return { unavailable: "this runtime has no WebAssembly" };
  const base: Variant = threads ? "simd-mt" : "simd";
  if (!(await validates(base))) {
    return { unavailable: threads ? "this runtime rejects the threaded SIMD build (no shared memory or atomics)" : "this runtime has no WebAssembly SIMD (fixed-width 128-bit)" };
  }
  const relaxed: Variant = threads ? "relaxed-mt" : "relaxed";
  return (await validates(relaxed)) ? relaxed : base;
}

/** Exports of an instantiated build. */
export interface GermExports {
  exec(args: number, tid: number): void;
  heapBase(): number;
  /** The abi.json fingerprint the build was made from (must equal generated/abi.ts's). */
  abiFingerprint(): number;
  /** Known-answer check of the relaxed int8 dot: 4 when correct, −1 in builds without relaxed SIMD. */
  probeRelaxedDot(): number;
  /** Test probes of the vector math (one lane). */
  probeErf(x: number): number;
  probeExp(x: number): number;
  probeGelu(x: number): number;
}

/** Instantiate a build on `memory`; a build made from another abi.json than the host's is refused (stale build). */
export async function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<GermExports> {
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const ex = instance.exports as unknown as GermExports;
  const fp = ex.abiFingerprint() >>> 0;
  if (fp !== ABI_FINGERPRINT) {
    throw new BackendError(`wasm: the build's kernel ABI (${fp.toString(16)}) is not the host's (${ABI_FINGERPRINT.toString(16)}): rebuild (npm run build:wasm)`);
  }
  return ex;
}
