// What a reference kernel may ask of the reference backend: typed views of its raw byte buffers.
import type { BufferId } from "../../contract/backend.js";
import type { WeightArg } from "../../contract/spec.js";

export interface RefContext {
  /** A buffer's bytes read as f32 (activations, biases, LayerNorm parameters, scales). */
  f32(id: BufferId): Float32Array;
  /** A buffer's bytes read as int8 (q8 weights). */
  int8(id: BufferId): Int8Array;
  /** A weight [n, k] decoded to f32 by its format's reference decoder (formats.ts): the exact values to compute with. */
  weight(w: WeightArg, n: number, k: number): Float32Array;
}
