// The conformance comparison modes themselves (test/helpers/compare.ts): each must pass what it should and fail
// what it should, or the suites built on them prove nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { check, checkGradient, cosine, nmse } from "./helpers/compare.js";

const want = Float32Array.from([1, -2, 3, 0.5]);

test("close: within atol + rtol·|want| passes, beyond (or NaN) fails", () => {
  assert.equal(check([1, -2, 3, 0.5], want, { mode: "close", atol: 0, rtol: 0 }, "same"), 0);
  assert.ok(check([1.001, -2, 3, 0.5], want, { mode: "close", atol: 1e-3, rtol: 0 }, "near") <= 1e-3 + 1e-9);
  assert.throws(() => check([1.01, -2, 3, 0.5], want, { mode: "close", atol: 1e-3, rtol: 1e-3 }, "far"), /far: max/);
  assert.throws(() => check([NaN, -2, 3, 0.5], want, { mode: "close", atol: 1, rtol: 1 }, "nan"), /nan/);
});

test("exact: bit equality (−0 ≠ +0, NaN = NaN), any difference fails", () => {
  assert.equal(check([1, -2, 3, 0.5], want, { mode: "exact" }, "same"), 0);
  assert.throws(() => check([1, -2, 3, Math.fround(0.5 + 2 ** -24)], want, { mode: "exact" }, "ulp"), /not exact at 3/);
  assert.throws(() => check([-0], [0], { mode: "exact" }, "zero"), /not exact/);
  assert.equal(check([NaN], [NaN], { mode: "exact" }, "nan"), 0);
});

test("cosine and NMSE measure what they say", () => {
  assert.equal(cosine([2, -4, 6, 1], want), 1);                     // a positive multiple
  assert.ok(Math.abs(cosine([0, 1], [1, 0])) < 1e-12);             // orthogonal
  assert.equal(nmse(want, want), 0);
  assert.ok(Math.abs(nmse([2, 0], [1, 0]) - 1) < 1e-12);           // error energy = signal energy
  assert.ok(check([1.01, -2, 3, 0.5], want, { mode: "cosine", min: 0.9999 }, "cos") < 1e-4);
  assert.throws(() => check([-1, 2, -3, -0.5], want, { mode: "cosine", min: 0.99 }, "flipped"), /cosine -1/);
  assert.throws(() => check([1.5, -2, 3, 0.5], want, { mode: "nmse", max: 1e-3 }, "nmse"), /NMSE/);
});

test("gradient: central differences agree with a right gradient and catch a wrong one", async () => {
  const x = Float32Array.from([0.3, -1.2, 2]);
  const f = async (v: Float32Array) => v.reduce((s, t) => s + t * t * t, 0); // ∂/∂x = 3x²
  assert.ok(await checkGradient(f, x, Float32Array.from(x, (t) => 3 * t * t), "cube") < 1e-2);
  await assert.rejects(checkGradient(f, x, Float32Array.from(x, (t) => 2 * t), "wrong"), /analytic vs finite differences/);
});
