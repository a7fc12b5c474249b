// Scalar math shared by the reference backend and host-side code: exact-erf GELU and ALiBi slopes.
// JavaScript has no Math.erf, so erf is computed here in float64 to ~1e-13.

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/**
 * erf(x) in float64: Maclaurin series for |x| ≤ 3, continued fraction of erfc beyond.
 * @category Math
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax > 6) return Math.sign(x);
  if (ax <= 3) {
    // Σ (-1)^n x^(2n+1) / (n! (2n+1)); terms shrink below 1e-17 of the sum well before n = 60.
    const x2 = x * x;
    let term = x, sum = x;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated bottom-up.
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + (k / 2) / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/**
 * GELU, exact erf form: 0.5·x·(1 + erf(x/√2)) (PyTorch `nn.GELU(approximate='none')`).
 * @category Math
 * @example
 * geluErf(1); // 0.8413447460685428
 */
export function geluErf(x: number): number {
  return 0.5 * x * (1 + erf(x * Math.SQRT1_2));
}

/** v [rows, cols] row-major → its transpose [cols, rows] (LoRA's B ↔ Bᵀ, a frozen W → Wᵀ). */
export function transpose(v: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = v[i * cols + j];
  return t;
}

/** GELU's derivative, exact: Φ(x) + x·φ(x). */
export function geluErfGrad(x: number): number {
  return 0.5 * (1 + erf(x * Math.SQRT1_2)) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/**
 * ALiBi slopes exactly as DNABERT-2's `_get_alibi_head_slopes` (float64, then rounded to float32):
 * powers of 2 use start^(i+1) with start = 2^(-2^-(log2(n) - 3)); other counts interleave slopes(2c).
 * @category Math
 * @example
 * alibiSlopes(8);  // [2^-1, 2^-2, …, 2^-8]
 * alibiSlopes(12); // the 8 above, then 2^-0.5, 2^-1.5, 2^-2.5, 2^-3.5 (every other slope of 16 heads)
 */
export function alibiSlopes(heads: number): Float32Array {
  const pow2 = (n: number): number[] => {
    const start = Math.pow(2, -Math.pow(2, -(Math.log2(n) - 3)));
    return Array.from({ length: n }, (_, i) => Math.pow(start, i + 1));
  };
  let slopes: number[];
  if (Number.isInteger(Math.log2(heads))) slopes = pow2(heads);
  else {
    const c = Math.pow(2, Math.floor(Math.log2(heads)));
    slopes = pow2(c).concat(pow2(2 * c).filter((_, i) => i % 2 === 0).slice(0, heads - c));
  }
  return Float32Array.from(slopes);
}
