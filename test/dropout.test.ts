// The dropout definition (contract/dropout.ts) itself: the kept fraction is 1 − p, kept values are x·f32(1/(1 − p))
// exactly, masks of different seeds are (nearly) independent, and the op is its own backward (linear in x for a seed).
import { test } from "node:test";
import assert from "node:assert/strict";
import { dropoutHash, dropoutParams, dropoutRef } from "../src/contract/dropout.js";
import { createBackend } from "../src/backend/create.js";
import { Tensor } from "../src/tensor/tensor.js";
import { dropout } from "../src/ops/grad.js";
import { ShapeError } from "../src/errors.js";

test("dropoutParams: the threshold and scale of p", () => {
  assert.deepEqual(dropoutParams(0), { threshold: 0, scale: 1 });
  assert.equal(dropoutParams(0.5).threshold, 2 ** 31);
  assert.equal(dropoutParams(0.1).scale, Math.fround(1 / 0.9));
});

test("kept fraction ≈ 1 − p (binomial 5σ), kept values exactly x·scale, and seeds give different masks", () => {
  const n = 1 << 18, x = new Float32Array(n).map((_, i) => 1 + (i % 7));
  for (const p of [0.05, 0.1, 0.5]) {
    const { threshold, scale } = dropoutParams(p), out = new Float32Array(n);
    dropoutRef(x, n, 1234, threshold, scale, out);
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (out[i] !== 0) { kept++; assert.equal(out[i], Math.fround(x[i] * scale)); }
    }
    const sd = Math.sqrt(n * p * (1 - p));
    assert.ok(Math.abs(kept - n * (1 - p)) < 5 * sd, `p ${p}: kept ${kept} of ${n}`);
  }
  // Two seeds: the masks agree where independent masks would (p² + (1 − p)² of the elements).
  const { threshold } = dropoutParams(0.5);
  let same = 0;
  for (let i = 0; i < n; i++) same += Number((dropoutHash(1, i) >= threshold) === (dropoutHash(2, i) >= threshold));
  assert.ok(Math.abs(same - n / 2) < 5 * Math.sqrt(n / 4), `seeds 1 and 2 agree on ${same} of ${n}`);
  // Neighbouring elements are not correlated either (a counter hash, not a short-period generator).
  let pairs = 0;
  for (let i = 0; i + 1 < n; i++) pairs += Number((dropoutHash(9, i) >= threshold) === (dropoutHash(9, i + 1) >= threshold));
  assert.ok(Math.abs(pairs - (n - 1) / 2) < 5 * Math.sqrt(n / 4), `neighbours agree ${pairs} times`);
});

test("dropout op: its own gradient (same seed), and bad p or seed are ShapeErrors", async () => {
  const b = await createBackend("reference");
  try {
    const x = Tensor.from(b, new Float32Array(1000).map((_, i) => Math.sin(i)), [10, 100]);
    const g = Tensor.from(b, new Float32Array(1000).map((_, i) => Math.cos(i)), [10, 100]);
    const [y, dx] = [await dropout(x, 0.2, 77).data(), await dropout(g, 0.2, 77).data()];
    const [xv, gv] = [await x.data(), await g.data()];
    // d/dx Σ g ⊙ dropout(x) = dropout(g): zero exactly where y dropped x, g·scale where it kept it.
    let dropped = 0;
    for (let i = 0; i < 1000; i++) {
      if (xv[i] === 0) continue; // sin(0): kept or dropped, y is 0
      assert.equal(dx[i] !== 0, y[i] !== 0, `element ${i}: the gradient's mask is the forward's`);
      if (y[i] !== 0) assert.equal(dx[i], Math.fround(gv[i] * dropoutParams(0.2).scale));
      else dropped++;
    }
    assert.ok(dropped > 100 && dropped < 300, `${dropped} of 1000 dropped at p 0.2`);
    assert.throws(() => dropout(x, 1, 1), ShapeError);
    assert.throws(() => dropout(x, -0.1, 1), ShapeError);
    assert.throws(() => dropout(x, 0.1, 2 ** 32), ShapeError);
  } finally { b.dispose(); }
});
