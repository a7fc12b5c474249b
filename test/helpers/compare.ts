// Comparison modes of the conformance suite and the goldens, each reporting its measured number:
// close (|got − want| ≤ atol + rtol·|want|, the fixtures' rule), exact (integer paths), cosine and NMSE
// (quantized paths). Isomorphic (no node: imports): the browser and Deno suites use it too.

export interface CompareResult { maxAbs: number; worstIndex: number; ok: boolean }

export function compare(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): CompareResult {
  if (got.length !== want.length) throw new Error(`length ${got.length} ≠ expected ${want.length}`);
  let maxAbs = 0, worstIndex = -1, ok = true;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= atol + rtol * Math.abs(want[i]))) ok = false; // NaN fails too
    if (!(d <= maxAbs)) { maxAbs = d; worstIndex = i; }
  }
  return { maxAbs, worstIndex, ok };
}

/** Throw unless close; return the max abs error (for the closing report). */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, atol = 1e-4, rtol = 1e-4): number {
  const r = compare(got, want, atol, rtol);
  if (!r.ok) {
    throw new Error(`${what}: max |got − want| = ${r.maxAbs} at ${r.worstIndex} (got ${got[r.worstIndex]}, want ${want[r.worstIndex]}) exceeds ${atol} + ${rtol}·|want|`);
  }
  return r.maxAbs;
}

/** Cosine similarity of two vectors (1 for two zero vectors). */
export function cosine(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let dot = 0, a = 0, b = 0;
  for (let i = 0; i < want.length; i++) { dot += got[i] * want[i]; a += got[i] * got[i]; b += want[i] * want[i]; }
  if (a === 0 && b === 0) return 1;
  return dot / Math.sqrt(a * b);
}

/** Normalised mean squared error Σ(got − want)² / Σ want² (ggml's test-backend-ops measure; 0 for exact). */
export function nmse(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let e = 0, w = 0;
  for (let i = 0; i < want.length; i++) { const d = got[i] - want[i]; e += d * d; w += want[i] * want[i]; }
  return w === 0 ? (e === 0 ? 0 : Infinity) : e / w;
}

/** How a case's output must match the reference backend's. */
export type Tolerance =
  | { mode: "close"; atol: number; rtol: number }
  | { mode: "exact" }
  | { mode: "cosine"; min: number }
  | { mode: "nmse"; max: number };

/** Check `got` against `want` under `tol`; returns the measured number (max |err|, 1 − cosine or NMSE) or throws. */
export function check(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance, what: string): number {
  if (got.length !== want.length) throw new Error(`${what}: length ${got.length} ≠ expected ${want.length}`);
  switch (tol.mode) {
    case "close": return assertClose(got, want, what, tol.atol, tol.rtol);
    case "exact": {
      for (let i = 0; i < want.length; i++) {
        if (!Object.is(got[i], want[i])) throw new Error(`${what}: not exact at ${i}: got ${got[i]}, want ${want[i]}`);
      }
      return 0;
    }
    case "cosine": {
      const c = cosine(got, want);
      if (!(c >= tol.min)) throw new Error(`${what}: cosine ${c} < ${tol.min}`);
      return 1 - c;
    }
    case "nmse": {
      const e = nmse(got, want);
      if (!(e <= tol.max)) throw new Error(`${what}: NMSE ${e} > ${tol.max}`);
      return e;
    }
  }
}

/**
 * Gradient mode: central differences of a scalar function f at x (float64 steps of `eps`, relative to max(1, |x|))
 * against an analytic gradient; throws when |fd − grad| > atol + rtol·|fd| anywhere. Returns the max |err|.
 */
export async function checkGradient(f: (x: Float32Array) => Promise<number>, x: Float32Array, grad: ArrayLike<number>, what: string,
  o: { eps?: number; atol?: number; rtol?: number } = {}): Promise<number> {
  const eps = o.eps ?? 1e-3, fd = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const h = eps * Math.max(1, Math.abs(x[i])), keep = x[i];
    const up = Float32Array.from(x), down = Float32Array.from(x);
    up[i] = keep + h; down[i] = keep - h;
    fd[i] = ((await f(up)) - (await f(down))) / (up[i] - down[i]); // the f32-rounded step actually taken
  }
  return assertClose(grad, fd, `${what} (analytic vs finite differences)`, o.atol ?? 1e-3, o.rtol ?? 1e-2);
}
