// Picks and compiles the Wasm build once per process: relaxed SIMD when the runtime validates it (Deno, Chromium,
// Node ≥ 22; Node 20 needs a flag, which enableRelaxedSimd sets, else it gets plain SIMD), and the shared-memory
// (threads) build when workers are wanted.
// The bytes are embedded as base64 (generated/, made by scripts/build-wasm.mjs), so no bundler or fs is needed;
// precompiled modules in env.wasmModules (edge runtimes that forbid compiling) are used instead when present.

import { env } from "../../env.js";
import { BackendError } from "../../errors.js";
import { ABI_FINGERPRINT } from "./generated/abi.js";
import { hasFeature } from "./probe.js";

export type Variant = "simd" | "relaxed" | "simd-mt" | "relaxed-mt";

const SOURCES: Record<Variant, () => Promise<string>> = {
  "simd": async () => (await import("./generated/germ-simd.js")).WASM_BASE64,
  "relaxed": async () => (await import("./generated/germ-relaxed.js")).WASM_BASE64,
  "simd-mt": async () => (await import("./generated/germ-simd-mt.js")).WASM_BASE64,
  "relaxed-mt": async () => (await import("./generated/germ-relaxed-mt.js")).WASM_BASE64,
};

const moduleCache = new Map<Variant, Promise<WebAssembly.Module>>();

/** The embedded bytes of a build (decoded on each call: only compiling and tests need them). */
export async function bytesOf(v: Variant): Promise<Uint8Array> {
  const s = atob(await SOURCES[v]());
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The compiled module of a build: the precompiled one from env.wasmModules, else the embedded bytes compiled once per process. */
export function compiled(v: Variant): Promise<WebAssembly.Module> {
  const given = env.wasmModules?.[v];
  if (given) return Promise.resolve(given);
  let p = moduleCache.get(v);
  if (!p) {
    p = bytesOf(v).then((b) => WebAssembly.compile(b as BufferSource));
    p.catch(() => moduleCache.delete(v)); // a refusal (e.g. an embedder forbidding compilation) is not cached
    moduleCache.set(v, p);
  }
  return p;
}

/** The best build for this runtime, or why none runs. Only the builds in env.wasmModules are candidates when it is set. */
export function pickVariant(threads: boolean): Variant | { unavailable: string } {
  if (typeof WebAssembly !== "object") return { unavailable: "this runtime has no WebAssembly" };
  if (!hasFeature("simd")) return { unavailable: "this runtime has no WebAssembly SIMD (fixed-width 128-bit)" };
  if (threads && !hasFeature("threads")) return { unavailable: "this runtime rejects the threaded build (no shared WebAssembly memory)" };
  const [relaxed, base]: Variant[] = threads ? ["relaxed-mt", "simd-mt"] : ["relaxed", "simd"];
  const given = env.wasmModules;
  if (given) {
    if (given[relaxed] && hasFeature("relaxed")) return relaxed;
    if (given[base]) return base;
    return { unavailable: `env.wasmModules has no ${[base, relaxed].join(" or ")} build (set e.g. env.wasmModules = { ${base.replace("-mt", "")}: <WebAssembly.Module of germ-js/wasm/${base.replace("-mt", "")}.wasm> })` };
  }
  return hasFeature("relaxed") ? relaxed : base;
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
