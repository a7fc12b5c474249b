// Elementwise comparison with the fixtures' rule |got − want| ≤ atol + rtol·|want|, reporting the worst element.
import assert from "node:assert/strict";

export interface CompareResult { maxAbs: number; worstIndex: number; ok: boolean }

export function compare(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): CompareResult {
  assert.equal(got.length, want.length, `length ${got.length} ≠ expected ${want.length}`);
  let maxAbs = 0, worstIndex = -1, ok = true;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= atol + rtol * Math.abs(want[i]))) ok = false; // NaN fails too
    if (!(d <= maxAbs)) { maxAbs = d; worstIndex = i; }
  }
  return { maxAbs, worstIndex, ok };
}

/** Assert closeness and return the max abs error (for the closing report). */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, atol = 1e-4, rtol = 1e-4): number {
  const r = compare(got, want, atol, rtol);
  assert.ok(r.ok, `${what}: max |got − want| = ${r.maxAbs} at ${r.worstIndex} (got ${got[r.worstIndex]}, want ${want[r.worstIndex]}) exceeds ${atol} + ${rtol}·|want|`);
  return r.maxAbs;
}
