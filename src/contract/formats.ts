// The weight formats: one row each (element block, bytes, layout, the checkpoint dtypes stored that way, and the
// reference encode/decode that the reference backend computes with). Quantized formats are new rows, not new ops.
import { f16BitsToF32, f32ToF16Bits } from "./half.js";

export type FormatName = "f32" | "f16";

/** A weight's bytes as stored on a backend: `data`, plus per-row or per-group scales for quantized formats. */
export interface EncodedWeight { data: Uint8Array; scales?: Float32Array }

export interface WeightFormat {
  readonly name: FormatName;
  /** Elements per block along a row (1 for plain floats; a quantization group otherwise). */
  readonly blockElems: number;
  /** Bytes of one block in `data`. */
  readonly blockBytes: number;
  /** Where scales live: none, one f32 per row, or one per block. */
  readonly scales: "none" | "row" | "block";
  /** Byte layout, for docs/ and error messages. */
  readonly layout: string;
  /** Checkpoint (safetensors) dtypes whose bytes already are this format: uploaded as stored, never converted. */
  readonly storedAs: readonly string[];
  /** Bytes of `data` for a [rows, cols] weight (before the 4-byte padding backends add). */
  dataBytes(rows: number, cols: number): number;
  /** Reference quantizer: f32 values [rows, cols] → this format. */
  encode(values: Float32Array, rows: number, cols: number): EncodedWeight;
  /** Reference dequantizer: this format → the f32 values every kernel must compute with. */
  decode(w: EncodedWeight, rows: number, cols: number): Float32Array;
}

const f32: WeightFormat = {
  name: "f32", blockElems: 1, blockBytes: 4, scales: "none", storedAs: ["F32"],
  layout: "IEEE binary32, little-endian, row-major",
  dataBytes: (rows, cols) => 4 * rows * cols,
  encode: (values) => ({ data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) }),
  decode: ({ data }, rows, cols) => {
    const n = rows * cols;
    if (data.byteOffset % 4 === 0) return new Float32Array(data.buffer, data.byteOffset, n);
    return new Float32Array(data.slice(0, 4 * n).buffer);
  },
};

const f16: WeightFormat = {
  name: "f16", blockElems: 1, blockBytes: 2, scales: "none", storedAs: ["F16"],
  layout: "IEEE binary16 (half), little-endian, row-major; f32 values are rounded to nearest, ties to even",
  dataBytes: (rows, cols) => 2 * rows * cols,
  encode: (values) => {
    const bits = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) bits[i] = f32ToF16Bits(values[i]);
    return { data: new Uint8Array(bits.buffer) };
  },
  decode: ({ data }, rows, cols) => {
    const n = rows * cols, out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = f16BitsToF32(data[2 * i] | (data[2 * i + 1] << 8));
    return out;
  },
};

/** Every weight format by name. */
export const FORMATS: Readonly<Record<FormatName, WeightFormat>> = { f32, f16 };

export function isFormatName(s: unknown): s is FormatName {
  return typeof s === "string" && Object.prototype.hasOwnProperty.call(FORMATS, s);
}

/** Round a byte count up to whole 4-byte words (WebGPU copies and binds in 4-byte units). */
export function padBytes(n: number): number {
  return Math.ceil(n / 4) * 4;
}
