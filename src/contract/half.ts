// IEEE 754 binary16 ("half") ↔ f32 on the host: the one converter pair behind f16 weight storage (Tensor.from
// with dtype "f16") and F16 checkpoint tensors (io/raw-tensor.ts). Bit patterns are plain numbers 0..0xffff.

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/**
 * The half nearest to `x` (rounded to f32 first), ties to even; too large → ±inf, too small → ±0 or a subnormal;
 * NaN stays a (quiet) NaN with its sign.
 * @example
 * f32ToF16Bits(1) === 0x3c00; f32ToF16Bits(65520) === 0x7c00; // 65520 is the tie between 65504 and 2^16 → inf
 */
export function f32ToF16Bits(x: number): number {
  F32[0] = x;
  const b = U32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // inf, or NaN made quiet
  const e = exp - 112; // rebias 127 → 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): value = full · 2^(e − 14 − 24 + 24), i.e. the 24-bit significand shifted by 14 − e.
    if (e < -10) return sign; // below half the smallest subnormal (2^-25)
    const full = mant | 0x800000, shift = 14 - e;
    const q = full >>> shift, rem = full & ((1 << shift) - 1), halfway = 1 << (shift - 1);
    return sign | (q + (rem > halfway || (rem === halfway && (q & 1)) ? 1 : 0)); // q + 1 = 0x400 is the smallest normal
  }
  const h = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, which is the correct next half (up to inf).
  return h + (rem > 0x1000 || (rem === 0x1000 && (h & 1)) ? 1 : 0);
}

/** The exact f32 value of a half bit pattern (every half is representable in f32). */
export function f16BitsToF32(h: number): number {
  const e = h & 0x7c00;
  if (e === 0x7c00) U32[0] = ((h & 0x8000) << 16) | 0x7f800000 | ((h & 0x3ff) << 13); // inf / NaN
  else if (e !== 0) U32[0] = ((h & 0x8000) << 16) | (((h & 0x7fff) << 13) + 0x38000000); // rebias 15 → 127
  else return (h & 0x8000 ? -1 : 1) * (h & 0x3ff) * 2 ** -24; // subnormal (or ±0): exact in f32
  return F32[0];
}

/** f32 values → half bits, padded to an even count so the bytes are a multiple of 4 (WebGPU's upload unit). */
export function toHalfBits(data: Float32Array): Uint16Array {
  const out = new Uint16Array(data.length + (data.length & 1));
  for (let i = 0; i < data.length; i++) out[i] = f32ToF16Bits(data[i]);
  return out;
}

/** Half bits → f32 values (the first `n` of them). */
export function fromHalfBits(bits: Uint16Array, n = bits.length): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = f16BitsToF32(bits[i]);
  return out;
}

/** Whether every value is exactly an IEEE half (f16 storage then loses nothing). */
export function halfExact(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (f16BitsToF32(f32ToF16Bits(values[i])) !== values[i] && !Number.isNaN(values[i])) return false;
  return true;
}
