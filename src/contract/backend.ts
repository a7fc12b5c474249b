// The Backend interface every compute backend implements (the factory that creates them is backend/create.ts).
// Backends own raw byte buffers and run the ops of spec.ts; shapes and formats are checked above them in src/ops/.
import type { BufferId } from "./buffer.js";
import type { OpArgs, OpName, OpNeeds, WeightArg } from "./spec.js";

export type { BufferId };

/**
 * A compute backend: "reference" (plain TypeScript, float64 accumulation: the oracle, slow), "wasm" (SIMD128
 * kernels, worker threads), "webgpu" (WGSL; browsers, Deno, Node with the optional `webgpu` package).
 * @category Model
 */
export type BackendName = "reference" | "wasm" | "webgpu";

/**
 * What a backend's hardware and runtime can do: facts found at creation, never answers to forged calls.
 * @category Backends
 */
export interface BackendCaps {
  /** Worker threads in use (1 = single-threaded). */
  threads: number;
  /** Wasm SIMD128 (every Wasm build needs it). */
  simd: boolean;
  /** Wasm relaxed SIMD (relaxed_madd lowers to FMA). */
  relaxedSimd: boolean;
  /** IEEE half arithmetic in kernels (WebGPU `shader-f16`). */
  f16: boolean;
  /** int8 dot products: Wasm `i32x4.dot_i16x8_s` (part of SIMD128). */
  int8Dot: boolean;
  /** Wasm `i32x4.relaxed_dot_i8x16_i7x16_add_s`, only where a known-answer check at load proved it correct. */
  relaxedDot: boolean;
  /** WGSL `dot4I8Packed` (`packed_4x8_integer_dot_product` in navigator.gpu.wgslLanguageFeatures). */
  dot4I8Packed: boolean;
  /** Largest single buffer the backend can hold, in bytes. */
  maxBufferBytes: number;
  /** Free-form description (adapter name, build flavour) for logs and benchmarks. */
  description: string;
  /**
   * Which build of the backend runs: the Wasm variant ("simd", "relaxed", "simd-mt", "relaxed-mt"), "f32"/"f16"
   * kernels on WebGPU, "f64" on the reference backend. Shown by `GermModel.info`.
   */
  build: string;
}

/**
 * `true`, or why not (the text names what is missing: op, format, feature, limit).
 * @category Backends
 */
export type Support = true | {
  /** What is missing, e.g. "linear: f16 weights need shader-f16". */
  reason: string;
};

/**
 * Where buffers live and kernels run. Internal API: the model talks to ops/, not to this. Make one with createBackend.
 * @category Backends
 * @example
 * const backend = await createBackend("wasm", { threads: 2 });
 * const buf = backend.alloc(16);
 * backend.upload(buf, new Float32Array([1, 2, 3, 4]));
 * new Float32Array((await backend.download(buf)).buffer); // [1, 2, 3, 4]
 * backend.free(buf);
 * backend.dispose();
 */
export interface Backend {
  /** Which backend this is. */
  readonly name: BackendName;
  /** What it found it can do at creation. */
  readonly caps: Readonly<BackendCaps>;
  /**
   * Whether this backend runs `op` with these compile-time facts (weight format, softmax, head size…):
   * "`op` is not implemented on `backend`" when it has no kernel for it. The model asks this for everything it
   * will run before it uploads a weight, so a forward never meets an unsupported op halfway.
   */
  supports<K extends OpName>(op: K, needs: OpNeeds[K]): Support;
  /** A buffer of `byteLength` raw bytes (contents undefined until uploaded or written by an op). */
  alloc(byteLength: number): BufferId;
  /** Copy host bytes into `dst` at `dstByteOffset` (default 0); sizes in whole 4-byte words. */
  upload(dst: BufferId, src: ArrayBufferView, dstByteOffset?: number): void;
  /** The bytes of `src` (from `byteOffset`, `byteLength` of them; default: all), after queued work finishes. */
  download(src: BufferId, byteOffset?: number, byteLength?: number): Promise<Uint8Array>;
  /** Safe while queued work still uses the buffer. */
  free(buf: BufferId): void;
  /**
   * A linear weight `[n, k]` in the layout this backend's GEMM reads (Wasm: 8-column panels), done once at load.
   * Returns `w` itself when the stored layout is already the one it runs. Otherwise, with `handOver` (the caller
   * gives the buffers up: nothing else will read them) the backend may lay them out in place and return them marked
   * `prepared`; without it, it returns new buffers that the caller owns beside the originals (e.g. for a tied
   * embedding table that gather keeps reading).
   */
  prepareWeight(w: WeightArg, n: number, k: number, handOver?: boolean): WeightArg;
  /** Run one op. Throws BackendError when the op is unsupported or the call exceeds a run-time limit. */
  run<K extends OpName>(op: K, args: OpArgs[K]): void;
  /** Wait until every queued op has finished. */
  flush(): Promise<void>;
  /** Live buffers and their bytes, and the ops dispatched so far (leak checks, benchmarks). */
  stats(): {
    /** Bytes of the buffers not yet freed. */
    bytesLive: number;
    /** Buffers not yet freed. */
    buffers: number;
    /** Ops run since creation. */
    dispatches: number;
  };
  /** Free everything the backend holds (buffers, workers, device); it is unusable afterwards. */
  dispose(): void;
}

/**
 * Options of createBackend (and of selectBackend).
 * @category Backends
 */
export interface BackendOptions {
  /** Wasm worker threads (default: the core count, at most 8); ignored by the other backends. */
  threads?: number;
  /** Accept a software (fallback) GPU adapter such as lavapipe or SwiftShader. `auto` says no: Wasm is ~20× faster there. */
  allowSoftware?: boolean;
}

/**
 * A backend module's factory: the backend, or why it cannot run here (no adapter, no SIMD, …).
 * @category Backends
 */
export type BackendFactory = (opts: BackendOptions) => Promise<Backend | {
  /** Why the backend cannot run here (no adapter, no SIMD, …). */
  unavailable: string;
}>;
