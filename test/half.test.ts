// src/contract/half.ts: f32 → half rounding (nearest, ties to even; subnormals; overflow; inf/NaN) and exact widening,
// checked against a brute-force nearest-half search over every finite half.
import { test } from "node:test";
import assert from "node:assert/strict";
import { f16BitsToF32, f32ToF16Bits, fromHalfBits, toHalfBits } from "../src/contract/half.js";
import { rng } from "./helpers/rng.js";
import { createBackend } from "../src/backend/create.js";
import { Tensor } from "../src/tensor/tensor.js";
import { Weight } from "../src/tensor/weight.js";
import { gather, linear } from "../src/ops/ops.js";
import { ShapeError } from "../src/errors.js";

test("half: known values, ties to even, overflow, subnormals, signed zero", () => {
  const cases: [number, number][] = [
    [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff],
    [1 + 2 ** -11, 0x3c00], // tie → even (down)
    [1 + 3 * 2 ** -11, 0x3c02], // tie → even (up)
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie
    [65519.99, 0x7bff], [65520, 0x7c00], [1e6, 0x7c00], [-1e6, 0xfc00], // overflow → inf (65520 is the tie)
    [2 ** -14, 0x0400], [2 ** -24, 0x0001], [1023 * 2 ** -24, 0x03ff],
    [2 ** -25, 0x0000], [-(2 ** -25), 0x8000], // half the smallest subnormal ties to even (0)
    [1.5 * 2 ** -25, 0x0001], [3 * 2 ** -25, 0x0002], [2 ** -26, 0x0000], [1e-45, 0x0000],
    [(1023.5) * 2 ** -24, 0x0400], // rounds up out of the subnormals into the smallest normal
    [Infinity, 0x7c00], [-Infinity, 0xfc00],
  ];
  for (const [x, bits] of cases) assert.equal(f32ToF16Bits(x), bits, `f32ToF16Bits(${x}) = 0x${f32ToF16Bits(x).toString(16)}, want 0x${bits.toString(16)}`);
  const nan = f32ToF16Bits(NaN);
  assert.ok((nan & 0x7c00) === 0x7c00 && (nan & 0x3ff) !== 0, "NaN stays NaN");
  assert.ok(Number.isNaN(f16BitsToF32(nan)));
  assert.equal(f16BitsToF32(0x7c00), Infinity);
  assert.equal(f16BitsToF32(0xfc00), -Infinity);
  assert.ok(Object.is(f16BitsToF32(0x8000), -0));
});

test("half: every half pattern round-trips through f32 exactly", () => {
  for (let h = 0; h < 0x10000; h++) {
    if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff)) continue; // NaN payloads: only NaN-ness is kept
    assert.equal(f32ToF16Bits(f16BitsToF32(h)), h, `0x${h.toString(16)}`);
  }
});

test("half: random f32s round to the nearest half (brute force, ties to even)", () => {
  const finite: number[] = [];
  for (let h = 0; h < 0x7c00; h++) finite.push(f16BitsToF32(h)); // non-negative finite halves, ascending
  const r = rng(16);
  for (let i = 0; i < 20000; i++) {
    const x = Math.fround((r() * 2 - 1) * 2 ** Math.floor(r() * 44 - 28)); // 2^-28 … 2^16: subnormals to overflow
    const a = Math.abs(x);
    let lo = 0, hi = finite.length - 1;
    while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (finite[mid] <= a) lo = mid; else hi = mid; }
    let want: number;
    if (a >= 65520) want = 0x7c00;
    else {
      const dl = a - finite[lo], dh = finite[hi] - a;
      want = dl < dh ? lo : dh < dl ? hi : (lo & 1 ? hi : lo);
    }
    assert.equal(f32ToF16Bits(x), want | (x < 0 ? 0x8000 : 0), `x = ${x}`);
  }
});

test("half: array helpers pad to an even count and widen back", () => {
  const bits = toHalfBits(new Float32Array([1, -0.5, 3]));
  assert.equal(bits.length, 4);
  assert.deepEqual([...fromHalfBits(bits, 3)], [1, -0.5, 3]);
});

test("Tensor.from(…, \"f16\") stores rounded halves; data() widens them; only linear weights may be f16", async () => {
  const b = await createBackend("reference");
  const x = new Float32Array([0.1, -0.2, 65519, 1e-8, 3]);
  const t = Tensor.from(b, x, [5], "f16");
  assert.equal(t.format, "f16");
  assert.equal(b.stats().bytesLive, 12, "5 halves padded to 3 words");
  assert.deepEqual([...(await t.data())], [...x].map((v) => f16BitsToF32(f32ToF16Bits(v))));
  // linear reads the same rounded values (the reference backend decodes them and sums in f64).
  const wt = Tensor.from(b, Float32Array.from({ length: 6 }, (_, i) => 0.1 * i), [2, 3], "f16");
  const wr = await wt.data();
  assert.throws(() => gather(wt, new Int32Array([0])), ShapeError);
  const w = Weight.fromTensor(wt);
  const y = linear(Tensor.from(b, new Float32Array([1, 1, 1]), [1, 3]), w);
  assert.deepEqual([...(await y.data())], [0, 1].map((j) => Math.fround(wr[3 * j] + wr[3 * j + 1] + wr[3 * j + 2])));
  assert.notEqual(wr[1], Math.fround(0.1), "0.1 is not a half");
});
