// The weight formats: one row each (element block, bytes, layout, the checkpoint dtypes stored that way, and the
// reference encode/decode that the reference backend computes with). Quantized formats are new rows, not new ops.
import { InputError } from "../errors.js";
import { f16BitsToF32, f32ToF16Bits } from "./half.js";

/**
 * A weight format: "f32", "f16" (IEEE half), "q8" (int8 per row + f32 scales), "q4" (int4, groups of 32).
 * @category Weight formats
 */
export type FormatName = "f32" | "f16" | "q8" | "q4";

/**
 * A weight's bytes as stored on a backend: `data`, plus per-row or per-group scales for quantized formats.
 * @category Weight formats
 */
export interface EncodedWeight {
  /** The elements in the format's byte layout. */
  data: Uint8Array;
  /** Per-row (q8) or per-group (q4) scales; absent for f32 and f16. */
  scales?: Float32Array;
  /** q8 only: the static activation scale (f32, > 0) every row of x is quantized with; absent = per row (dynamic). */
  inputScale?: number;
}

/**
 * One weight format: its byte layout and reference encoder/decoder, which every backend's kernels must match.
 * @category Weight formats
 * @example
 * const q4 = FORMATS.q4;
 * const enc = q4.encode(new Float32Array(64).fill(0.5), 1, 64); // 32 bytes of nibbles, 2 group scales
 * q4.decode(enc, 1, 64);                                         // the values every q4 kernel computes with
 */
export interface WeightFormat {
  /** The format's name (its key in FORMATS). */
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
  /**
   * What linear does with its activations for this weight format: "f32" keeps them (W·A16/32), "int8-row"
   * quantizes each row of x symmetrically to int8 on the fly (W8A8: int8·int8 → int32, then scales; quantizeRows),
   * with each row's own scale, or with the weight's static `inputScale` (WeightArg) when it has one.
   */
  readonly activations: "f32" | "int8-row";
  /** Number of f32 scales for a [rows, cols] weight (0 without scales). */
  scaleCount(rows: number, cols: number): number;
  /** Bytes of `data` for a [rows, cols] weight (before the 4-byte padding backends add). */
  dataBytes(rows: number, cols: number): number;
  /** Reference quantizer: f32 values [rows, cols] → this format. */
  encode(values: Float32Array, rows: number, cols: number): EncodedWeight;
  /** Reference dequantizer: this format → the f32 values every kernel must compute with. */
  decode(w: EncodedWeight, rows: number, cols: number): Float32Array;
}

const f32: WeightFormat = {
  name: "f32", blockElems: 1, blockBytes: 4, scales: "none", storedAs: ["F32"], activations: "f32", scaleCount: () => 0,
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
  name: "f16", blockElems: 1, blockBytes: 2, scales: "none", storedAs: ["F16"], activations: "f32", scaleCount: () => 0,
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

/** Round half to even, as torch.round, Wasm f32x4.nearest and WGSL round() do. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Symmetric int8 quantization of each row: scale = max|row| / 127 (f32), q = round_half_even(x / scale) in f32
 * arithmetic (an all-zero row has scale 0 and q 0). W8A8's activation step and q8's weight quantizer.
 * With `fixedScale` (a static activation scale from calibration, f32, > 0) every row uses that scale instead, and
 * values beyond ±127·scale clamp to ±127: q = clamp(round_half_even(f32(x / scale)), −127, 127).
 * @category Weight formats
 * @example
 * quantizeRows(new Float32Array([0.5, -1, 0.25, 0]), 2, 2); // q [64, -127, 127, 0], scales [1/127, 0.25/127]
 * quantizeRows(new Float32Array([0.5, -3]), 1, 2, 1 / 127); // q [64, -127] (−3 clamped), scales [1/127]
 */
export function quantizeRows(x: Float32Array, rows: number, cols: number, fixedScale?: number): { q: Int8Array; scales: Float32Array } {
  const q = new Int8Array(rows * cols), scales = new Float32Array(rows);
  if (fixedScale !== undefined && !(fixedScale > 0 && Number.isFinite(fixedScale))) {
    throw new InputError(`quantizeRows: fixed scale ${fixedScale} must be a finite f32 > 0`);
  }
  for (let r = 0; r < rows; r++) {
    let s: number;
    if (fixedScale !== undefined) s = Math.fround(fixedScale);
    else {
      let m = 0;
      for (let c = 0; c < cols; c++) m = Math.max(m, Math.abs(x[r * cols + c]));
      s = Math.fround(m / 127);
    }
    scales[r] = s;
    if (s === 0) continue;
    for (let c = 0; c < cols; c++) q[r * cols + c] = Math.max(-127, Math.min(127, roundHalfEven(Math.fround(x[r * cols + c] / s))));
  }
  return { q, scales };
}

/**
 * Quantize each row to `bits` and back, in f32 steps (the fake-quant of GERM's WnAn evaluation):
 * asymmetric: scale = (max − min)/(2^b − 1), zero = round(−min/scale), q = clamp(round(x/scale) + zero, 0, 2^b − 1),
 * x' = (q − zero)·scale; symmetric: scale = max|x|/(2^(b−1) − 1), q = clamp(round(x/scale), ±(2^(b−1) − 1)),
 * x' = q·scale. Rounding is half to even; a constant (asymmetric) or zero (symmetric) row is returned unchanged.
 * `range` [lo, hi] replaces every row's min and max (a static per-tensor range; values outside it are clamped).
 */
export function fakeQuantRows(x: Float32Array, rows: number, cols: number, bits: number, symmetric: boolean, range?: readonly [number, number]): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let lo = Infinity, hi = -Infinity;
    if (range) [lo, hi] = [Math.fround(range[0]), Math.fround(range[1])];
    else for (let c = 0; c < cols; c++) { const v = x[r * cols + c]; lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const levels = symmetric ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
    const scale = Math.fround(symmetric ? Math.max(Math.abs(lo), Math.abs(hi)) / levels : Math.fround(hi - lo) / levels);
    if (!(scale > 0)) { out.set(x.subarray(r * cols, (r + 1) * cols), r * cols); continue; }
    const zero = symmetric ? 0 : roundHalfEven(Math.fround(-lo / scale));
    const qlo = symmetric ? -levels : 0, qhi = levels;
    for (let c = 0; c < cols; c++) {
      const q = Math.max(qlo, Math.min(qhi, roundHalfEven(Math.fround(x[r * cols + c] / scale)) + zero));
      out[r * cols + c] = Math.fround((q - zero) * scale);
    }
  }
  return out;
}

const q8: WeightFormat = {
  name: "q8", blockElems: 1, blockBytes: 1, scales: "row", storedAs: ["I8"], activations: "int8-row",
  layout: "int8 two's complement, row-major [n, k]; scales: f32 [n], one per output row (symmetric, max|w|/127)",
  scaleCount: (rows) => rows,
  dataBytes: (rows, cols) => rows * cols,
  encode: (values, rows, cols) => {
    const { q, scales } = quantizeRows(values, rows, cols);
    return { data: new Uint8Array(q.buffer), scales };
  },
  decode: ({ data, scales }, rows, cols) => {
    const q = new Int8Array(data.buffer, data.byteOffset, rows * cols), out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = q[r * cols + c] * scales![r];
    return out;
  },
};

/**
 * q4's group size along k as the kernels run it (a row's nibbles are padded to whole groups of 32).
 * @category Weight formats
 */
export const Q4_GROUP = 32;

/**
 * The q4 group sizes a checkpoint may use: one f32 scale per `group` elements along k. The nibbles are laid out the
 * same for every group size (rows padded to whole blocks of 32), so backends run any of them as groups of 32 whose
 * scales repeat ({@link expandQ4Scales}): exactly the same values, with fewer scales stored.
 * @category Weight formats
 */
export const Q4_GROUPS: readonly number[] = [32, 64, 128];

const q4Blocks = (cols: number): number => Math.ceil(cols / Q4_GROUP);
const q4Groups = (cols: number, group: number): number => Math.ceil(cols / group);

/**
 * Reference q4 quantizer with scales per `group` (32, 64 or 128) elements along k: symmetric, s = max|w|/7 (f32),
 * q = round_half_even(w / s) clamped to −7…7, stored as q + 8, two per byte; scales [rows, ⌈cols/group⌉].
 * `scaleDtype` "f16": s is then rounded to the nearest half (s = f16(f32(max|w|/7))) before q is computed with it,
 * so the scales are exact halves: stored in half the bytes (F16 in a checkpoint, f16 on WebGPU) with the same values
 * on every backend.
 * @category Weight formats
 * @example
 * const { data, scales } = encodeQ4(new Float32Array(128).fill(0.5), 1, 128, 64); // 64 bytes, 2 scales
 * const h = encodeQ4(new Float32Array(128).fill(0.5), 1, 128, 32, "f16"); // scales: 4 exact halves
 */
export function encodeQ4(values: Float32Array, rows: number, cols: number, group = Q4_GROUP, scaleDtype: "f32" | "f16" = "f32"): EncodedWeight {
  checkQ4Group(group);
  if (scaleDtype !== "f32" && scaleDtype !== "f16") throw new InputError(`q4 scale dtype ${JSON.stringify(String(scaleDtype).slice(0, 20))}: expected "f32" or "f16"`);
  const g = q4Groups(cols, group), rowBytes = q4Blocks(cols) * (Q4_GROUP / 2);
  const data = new Uint8Array(rows * rowBytes).fill(0x88), scales = new Float32Array(rows * g);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < g; b++) {
      const c0 = b * group, c1 = Math.min(cols, c0 + group);
      let m = 0;
      for (let c = c0; c < c1; c++) m = Math.max(m, Math.abs(values[r * cols + c]));
      const s = scaleDtype === "f16" ? f16BitsToF32(f32ToF16Bits(Math.fround(m / 7))) : Math.fround(m / 7);
      if (s === Infinity) throw new InputError(`q4 with f16 scales: row ${r}, group ${b}: max |w| = ${m} needs a scale above the largest half (65504)`);
      scales[r * g + b] = s;
      for (let c = c0; c < c1; c++) {
        const q = s === 0 ? 0 : Math.max(-7, Math.min(7, roundHalfEven(Math.fround(values[r * cols + c] / s))));
        const byte = r * rowBytes + (c >> 1);
        data[byte] = c & 1 ? (data[byte] & 0x0f) | ((q + 8) << 4) : (data[byte] & 0xf0) | (q + 8);
      }
    }
  }
  return { data, scales };
}

/**
 * Reference q4 dequantizer for scales per `group` elements: w = f32(q · scale of its group).
 * @category Weight formats
 * @example
 * const w = new Float32Array(2 * 256).map((_, i) => Math.sin(i));
 * decodeQ4(encodeQ4(w, 2, 256, 128), 2, 256, 128); // what a kernel computes with for a group-128 checkpoint
 */
export function decodeQ4({ data, scales }: EncodedWeight, rows: number, cols: number, group = Q4_GROUP): Float32Array {
  checkQ4Group(group);
  const g = q4Groups(cols, group), rowBytes = q4Blocks(cols) * (Q4_GROUP / 2), out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const byte = data[r * rowBytes + (c >> 1)];
      const q = (c & 1 ? byte >> 4 : byte & 0x0f) - 8;
      out[r * cols + c] = Math.fround(q * scales![r * g + Math.floor(c / group)]);
    }
  }
  return out;
}

/**
 * Scales per `group` elements → the per-32 scales of the q4 kernels ([rows, ⌈cols/32⌉], each repeated group/32 times):
 * with them, FORMATS.q4.decode gives decodeQ4(…, group) bit for bit.
 * @category Weight formats
 * @example
 * const [n, k] = [4, 256], w = encodeQ4(new Float32Array(n * k).map((_, i) => Math.cos(i)), n, k, 64);
 * const perBlock = expandQ4Scales(w.scales!, n, k, 64); // [4, 8]: each group-64 scale twice
 * FORMATS.q4.decode({ data: w.data, scales: perBlock }, n, k); // = decodeQ4(w, n, k, 64), bit for bit
 */
export function expandQ4Scales(scales: Float32Array, rows: number, cols: number, group: number): Float32Array {
  checkQ4Group(group);
  if (group === Q4_GROUP) return scales;
  const g = q4Groups(cols, group), b = q4Blocks(cols), per = group / Q4_GROUP, out = new Float32Array(rows * b);
  for (let r = 0; r < rows; r++) for (let j = 0; j < b; j++) out[r * b + j] = scales[r * g + Math.floor(j / per)];
  return out;
}

function checkQ4Group(group: number): void {
  if (!Q4_GROUPS.includes(group)) throw new InputError(`q4 group size ${String(group).slice(0, 20)}: expected one of ${Q4_GROUPS.join(", ")}`);
}

const q4: WeightFormat = {
  name: "q4", blockElems: Q4_GROUP, blockBytes: Q4_GROUP / 2, scales: "block", storedAs: [], activations: "f32",
  layout: `int4 in groups of ${Q4_GROUP} along k, row-major; each row padded to whole groups; two values per byte, `
    + "element 2i in the low nibble, 2i+1 in the high one, stored as q + 8 (q in −7…7; padding is 8 = 0); "
    + "scales: f32 [n, ⌈k/32⌉], one per group (symmetric, max|w|/7)",
  scaleCount: (rows, cols) => rows * q4Blocks(cols),
  dataBytes: (rows, cols) => rows * q4Blocks(cols) * (Q4_GROUP / 2),
  encode: (values, rows, cols) => encodeQ4(values, rows, cols, Q4_GROUP),
  decode: (w, rows, cols) => decodeQ4(w, rows, cols, Q4_GROUP),
};

/**
 * Every weight format by name.
 * @category Weight formats
 */
export const FORMATS: Readonly<Record<FormatName, WeightFormat>> = { f32, f16, q8, q4 };

/**
 * Whether `s` names a weight format.
 * @category Weight formats
 * @example
 * isFormatName("q8"); // true
 */
export function isFormatName(s: unknown): s is FormatName {
  return typeof s === "string" && Object.prototype.hasOwnProperty.call(FORMATS, s);
}

/** Round a byte count up to whole 4-byte words (WebGPU copies and binds in 4-byte units). */
export function padBytes(n: number): number {
  return Math.ceil(n / 4) * 4;
}
