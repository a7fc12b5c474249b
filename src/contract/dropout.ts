// Dropout as every backend computes it: element i of a call with `seed` is kept iff dropoutHash(seed, i) ≥ threshold
// (threshold = round(p·2³²)), and a kept element is multiplied by scale = f32(1/(1 − p)). The mask is a pure integer
// function of (seed, i), so every backend draws the same mask, and the backward pass (the same op on the gradient,
// same seed) needs nothing saved. Not PyTorch's RNG stream: the same distribution, other draws.

/** lowbias32 (Chris Wellons' integer hash): a bijection on u32 with full avalanche; only 32-bit multiplies and shifts. */
function mix(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * The u32 draw of element `i` (0 ≤ i < 2³²) under `seed` (u32): mix(mix(i) ^ mix(seed)).
 * @category Op contract
 * @example
 * dropoutHash(42, 0) >= dropoutParams(0.1).threshold; // element 0 kept (with probability 0.9)
 */
export function dropoutHash(seed: number, i: number): number {
  return mix((mix(i >>> 0) ^ mix(seed >>> 0)) >>> 0);
}

/**
 * The integer threshold and f32 scale of dropout probability p (0 ≤ p < 1): P(hash ≥ threshold) = 1 − p within 2⁻³².
 * @category Op contract
 * @example
 * dropoutParams(0.1); // { threshold: 429496730, scale: 1.1111111640930176 }
 */
export function dropoutParams(p: number): { threshold: number; scale: number } {
  return { threshold: Math.min(2 ** 32 - 1, Math.round(p * 2 ** 32)), scale: Math.fround(1 / (1 - p)) };
}

/** The reference dropout: out[i] = hash(seed, i) ≥ threshold ? f32(x[i]·scale) : 0. */
export function dropoutRef(x: Float32Array, size: number, seed: number, threshold: number, scale: number, out: Float32Array): void {
  const k = mix(seed >>> 0);
  for (let i = 0; i < size; i++) out[i] = mix((mix(i) ^ k) >>> 0) >= threshold ? Math.fround(x[i] * scale) : 0;
}
