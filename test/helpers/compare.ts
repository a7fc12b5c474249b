// Elementwise comparison with the fixtures' rule |got − want| ≤ atol + rtol·|want|, reporting the worst element.
// Isomorphic (no node: imports): the browser and Deno suites use it too.

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
