// RawTensor: the undecoded form every checkpoint reader returns (dtype, shape, little-endian bytes viewing
// the file), and toFloat32(), the one place where those bytes become f32 values for the model loader.
import { FormatError } from "../errors.js";
import { f16BitsToF32 } from "../contract/half.js";

/**
 * The tensor dtypes germ-js reads and writes, named as safetensors names them.
 * @category Files & formats
 */
export type SafeDType = "F32" | "F16" | "BF16" | "I8" | "U8" | "I32" | "I64";

/**
 * One tensor as stored: `bytes` is a view into the checkpoint file, little-endian, row-major.
 * @category Files & formats
 */
export interface RawTensor {
  /** Element type. */
  dtype: SafeDType;
  /** Dimensions, outermost first ([] for a scalar). */
  shape: number[];
  /** numel(shape) · element size bytes, a view into the file (no copy). */
  bytes: Uint8Array;
}

/**
 * Tensor name → tensor, in file order.
 * @category Files & formats
 */
export type TensorMap = Map<string, RawTensor>;

/**
 * One tensor of a checkpoint opened for streamed loading: dtype and shape from the header, the bytes read when
 * `read()` is called (each call a fresh buffer of `byteLength` bytes, or the in-memory view for loaded files).
 * @category Files & formats
 */
export interface TensorEntry {
  dtype: SafeDType;
  shape: number[];
  byteLength: number;
  read(): Promise<Uint8Array>;
}

/**
 * Tensor name → entry, in file order: what the model loader reads from, a tensor at a time.
 * @category Files & formats
 */
export type TensorIndex = Map<string, TensorEntry>;

/** A loaded TensorMap as a TensorIndex (reads are the views it already holds). */
export function indexOf(tensors: TensorMap): TensorIndex {
  const out: TensorIndex = new Map();
  for (const [name, t] of tensors) out.set(name, { dtype: t.dtype, shape: t.shape, byteLength: t.bytes.byteLength, read: async () => t.bytes });
  return out;
}

/** Bytes per element of each dtype. */
export const DTYPE_SIZE: Readonly<Record<SafeDType, number>> = { F32: 4, F16: 2, BF16: 2, I8: 1, U8: 1, I32: 4, I64: 8 };

export function isSafeDType(s: unknown): s is SafeDType {
  return typeof s === "string" && Object.prototype.hasOwnProperty.call(DTYPE_SIZE, s);
}

/** Element count of a shape ([] is a scalar: 1). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * The tensor's values as f32. F32 is a zero-copy view when the bytes are 4-byte aligned (a copy otherwise);
 * F16 and BF16 are widened exactly. Integer dtypes throw: the model has no integer weights, so one here
 * means the wrong tensor was asked for.
 * @example
 * const { tensors } = readSafetensors(bytes, "model.safetensors");
 * const w = toFloat32(tensors.get("bert.embeddings.LayerNorm.weight")!, "bert.embeddings.LayerNorm.weight");
 */
export function toFloat32(t: RawTensor, name: string): Float32Array {
  const n = numel(t.shape);
  const size = DTYPE_SIZE[t.dtype];
  if (size === undefined) throw new FormatError(`tensor "${name}": unknown dtype ${String(t.dtype)}`);
  if (t.bytes.byteLength !== n * size) {
    throw new FormatError(`tensor "${name}": ${t.bytes.byteLength} bytes for ${t.dtype} [${t.shape.join(", ")}] (want ${n * size})`);
  }
  const b = t.bytes;
  switch (t.dtype) {
    case "F32":
      // Typed-array views use host byte order; every engine germ-js targets is little-endian, like the files.
      if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, n);
      return new Float32Array(b.slice().buffer, 0, n);
    case "F16": {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = f16BitsToF32(b[2 * i] | (b[2 * i + 1] << 8));
      return out;
    }
    case "BF16": {
      // bf16 is the top half of an f32, so widening is a shift.
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = ((b[2 * i] | (b[2 * i + 1] << 8)) << 16) >>> 0;
      return out;
    }
    default:
      throw new FormatError(`tensor "${name}": dtype ${t.dtype} is not a float type; cannot read it as f32`);
  }
}
