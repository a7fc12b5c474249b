// The Backend interface every compute backend implements, and the lazy factory that creates them.
// Backends own raw buffers and run ops from src/ops/spec.ts; shapes and dtypes are checked above them in src/ops/.
import type { OpArgs, OpName } from "../ops/spec.js";
import type { DType } from "../tensor/tensor.js";
import { BackendError } from "../errors.js";
import { warnOnce } from "../log.js";

/** Opaque handle to a buffer owned by one backend. */
export type BufferId = number & { readonly __buffer: unique symbol };

export type BackendName = "reference" | "wasm" | "webgpu";

export interface BackendCaps {
  /** Worker threads in use (1 = single-threaded). */
  threads: number;
  simd: boolean;
  relaxedSimd: boolean;
  f16: boolean;
  /** Largest single buffer the backend can hold, in bytes. */
  maxBufferBytes: number;
  /** Free-form description (adapter name, build flavour) for logs and benchmarks. */
  description: string;
}

/** Where buffers live and kernels run. Internal API: the model talks to ops/, not to this. */
export interface Backend {
  readonly name: BackendName;
  readonly caps: Readonly<BackendCaps>;
  /** `true`, or why this backend cannot run that op call (the dispatcher then falls back, warning once). */
  supports<K extends OpName>(op: K, args: OpArgs[K]): true | { reason: string };
  /**
   * A buffer of `byteLength` raw bytes. `dtype` says how the bytes will be read (default "f32"): the buffer still
   * holds exactly the uploaded bytes (half bits for "f16") on every backend, but the reference backend, whose
   * kernels read typed arrays, keeps a widened f32 copy of an f16 buffer; the others ignore it (ops carry the
   * weight format in their arguments, e.g. linear's `wDtype`).
   */
  alloc(byteLength: number, dtype?: DType): BufferId;
  upload(dst: BufferId, src: ArrayBufferView, dstByteOffset?: number): void;
  download(src: BufferId, byteOffset?: number, byteLength?: number): Promise<Uint8Array>;
  /** Safe while queued work still uses the buffer. */
  free(buf: BufferId): void;
  run<K extends OpName>(op: K, args: OpArgs[K]): void;
  /** Wait until every queued op has finished. */
  flush(): Promise<void>;
  stats(): { bytesLive: number; buffers: number; dispatches: number };
  dispose(): void;
}

export interface BackendOptions {
  threads?: number;
  /** Accept a software (fallback) GPU adapter such as lavapipe or SwiftShader. `auto` says no: Wasm is ~20× faster there. */
  allowSoftware?: boolean;
}

/**
 * Create a backend by name, importing its module only when asked (so browsers never load Node-only code).
 * `auto` prefers WebGPU on a hardware adapter, then Wasm, then (with a one-time warning) the reference backend.
 */
export async function createBackend(name: BackendName | "auto", opts: BackendOptions = {}): Promise<Backend> {
  if (name === "reference") {
    const { ReferenceBackend } = await import("./reference/reference.js");
    return new ReferenceBackend();
  }
  if (name === "auto") {
    for (const candidate of AUTO_ORDER) {
      const backend = await tryCreate(candidate, { allowSoftware: false, ...opts });
      if (backend) return backend;
    }
    warnOnce("auto-reference", `no WebGPU or Wasm backend here (${AUTO_ORDER.map((n) => `${n}: ${lastReason.get(n)}`).join("; ")}); using the slow reference backend`);
    return createBackend("reference", opts);
  }
  if (!(name in FACTORIES)) throw new BackendError(`unknown backend "${String(name)}" (expected "reference", "wasm", "webgpu" or "auto")`);
  const backend = await tryCreate(name, opts);
  if (!backend) throw new BackendError(`backend "${name}" is not available in this build or runtime (${lastReason.get(name) ?? "unknown reason"})`);
  return backend;
}

const AUTO_ORDER: BackendName[] = ["webgpu", "wasm"];
const lastReason = new Map<BackendName, string>();

/** A backend module's factory: the backend, or why it cannot run here (no adapter, no SIMD, …). */
export type BackendFactory = (opts: BackendOptions) => Promise<Backend | { unavailable: string }>;

// Dynamic imports keep each backend's code (and Node-only pieces) out of runtimes that never use it.
const FACTORIES: Record<Exclude<BackendName, "reference">, () => Promise<BackendFactory>> = {
  wasm: async () => (await import("./wasm/wasm.js")).createWasmBackend,
  webgpu: async () => (await import("./webgpu/webgpu.js")).createWebGpuBackend,
};

async function tryCreate(name: BackendName, opts: BackendOptions): Promise<Backend | null> {
  if (name === "reference") return createBackend("reference", opts);
  const result = await (await FACTORIES[name]())(opts);
  if ("unavailable" in result) { lastReason.set(name, result.unavailable); return null; }
  return result;
}

/** Why `name` was last found unavailable (for skip messages and warnings). */
export function unavailableReason(name: BackendName): string | undefined {
  return lastReason.get(name);
}
