// What a Wasm kernel wrapper may ask of the Wasm backend: pointers of its buffers, staging for small host arrays,
// per-thread scratch, and a call that fills the argument block by field name (generated/abi.ts, from abi.json).
import type { BufferId } from "../../../contract/backend.js";
import type { WeightArg } from "../../../contract/spec.js";
import type { AbiArgs, AbiKernel } from "../generated/abi.js";

export interface KernelHost {
  /** Byte offset of a buffer in the Wasm memory. */
  ptr(id: BufferId): number;
  /** Byte offset of a linear weight [n, k] in the panel layout prepareWeight made for its format (checked). */
  weightPtr(w: WeightArg, n: number, k: number): number;
  /** Byte offset of a quantized weight's f32 scales, as stored (checked against the format's scale count). */
  scalesPtr(w: WeightArg, n: number, k: number): number;
  /** Copy host arrays into staging memory; returns their pointers (valid until the next call). */
  stage(...arrays: ArrayBufferView[]): number[];
  /** Per-thread scratch of at least `bytes` each: thread t uses base + t·stride. */
  scratch(bytes: number): [base: number, stride: number];
  /** Fill the argument block (every field by name) and run the kernel on every thread. */
  call<K extends AbiKernel>(kernel: K, args: AbiArgs<K>): void;
}
