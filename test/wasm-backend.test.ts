// Wasm-backend specifics the op conformance suite cannot see: vector-math accuracy, the 4 GiB wasm32 limit,
// bit-identical results for 1 and N threads, weight preparation at load, and the ABI both sides agree on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createBackend } from "../src/backend/create.js";
import type { Backend, BufferId } from "../src/contract/backend.js";
import { BackendError } from "../src/errors.js";
import { Tensor } from "../src/tensor/tensor.js";
import { Weight } from "../src/tensor/weight.js";
import { SeqIndex } from "../src/contract/seq.js";
import { attention, gather, linear } from "../src/ops/ops.js";
import { alibiSlopes, erf, geluErf } from "../src/contract/math.js";
import { compiled, instantiate, type Variant } from "../src/backend/wasm/loader.js";
import { ABI, ABI_FINGERPRINT } from "../src/backend/wasm/generated/abi.js";
import { uniform, rng } from "./helpers/rng.js";

test("erf, exp and gelu (float32, vectorised) against the float64 reference", async () => {
  const ex = await instantiate(await compiled("simd"), new WebAssembly.Memory({ initial: 1, maximum: 65536 }));
  let erfErr = 0, expRel = 0, geluErr = 0;
  for (let x = -6; x <= 6; x += 1 / 4096) {
    const xf = Math.fround(x);
    erfErr = Math.max(erfErr, Math.abs(ex.probeErf(xf) - erf(xf)));
    geluErr = Math.max(geluErr, Math.abs(ex.probeGelu(xf) - geluErf(xf)) / Math.max(1, Math.abs(xf)));
  }
  for (let x = -87; x <= 88; x += 1 / 64) {
    const xf = Math.fround(x);
    expRel = Math.max(expRel, Math.abs(ex.probeExp(xf) / Math.exp(xf) - 1));
  }
  console.log(`# erf max abs err ${erfErr.toExponential(2)}, exp max rel err ${expRel.toExponential(2)}, gelu max err/max(1,|x|) ${geluErr.toExponential(2)}`);
  assert.ok(erfErr <= 1e-7, `erf max abs error ${erfErr}`);   // measured 5.7e-8
  assert.ok(expRel <= 3e-7, `exp max rel error ${expRel}`);   // measured ~1.2e-7 (2 ulp)
  assert.ok(geluErr <= 2e-7, `gelu error ${geluErr}`);
  assert.equal(ex.probeExp(-Infinity), 0);
  assert.equal(ex.probeExp(-100), 0);
  assert.equal(ex.probeErf(10), 1);
  assert.equal(ex.probeErf(-10), -1);
});

test("the 4 GiB wasm32 limit is a BackendError, and the backend stays usable", async () => {
  const b = await createBackend("wasm", { threads: 1 });
  try {
    assert.throws(() => b.alloc(2 ** 32 + 64), (e: unknown) => e instanceof BackendError && /4 GiB/.test((e as Error).message));
    // 3 GiB is virtual only (untouched pages cost no RSS); a host that refuses to commit it must say so, typed.
    let big: BufferId | null = null;
    try { big = b.alloc(3 * 2 ** 30); } catch (e) { assert.ok(e instanceof BackendError && /refused to grow/.test((e as Error).message), String(e)); }
    if (big !== null) {
      assert.throws(() => b.alloc(2 ** 30 + 2 ** 29), (e: unknown) => e instanceof BackendError && /out of memory/.test((e as Error).message));
      b.free(big);
    }
    const t = Tensor.from(b, Float32Array.from([1, 2, 3, 4]), [2, 2]);
    assert.deepEqual(Array.from(await t.data()), [1, 2, 3, 4]);
    t.dispose();
    assert.equal(b.stats().buffers, 0);
  } finally {
    b.dispose();
  }
});

async function layerOutputs(b: Backend): Promise<Float32Array[]> {
  const r = rng(42);
  const [m, k, n] = [133, 96, 3 * 96];
  const x = Tensor.from(b, uniform(r, m * k), [m, k]);
  const w = Weight.from(b, uniform(r, n * k, 0.1), [n, k]);
  const bias = Tensor.from(b, uniform(r, n), [n]);
  const qkv = linear(x, w, bias);
  const ctx = attention(qkv, { seqs: SeqIndex.of([60, 1, 72]), heads: 6, softmax: "softmax1", slopes: alibiSlopes(6) });
  const out = [await qkv.data(), await ctx.data()];
  [x, w, bias, qkv, ctx].forEach((t) => t.dispose());
  return out;
}

test("1, 2 and 3 threads give bit-identical results (each element is computed by exactly one thread)", async () => {
  const results: Float32Array[][] = [];
  for (const threads of [1, 2, 3]) {
    const b = await createBackend("wasm", { threads });
    assert.equal(b.caps.threads, threads);
    try { results.push(await layerOutputs(b)); } finally { b.dispose(); }
  }
  for (const r of results.slice(1)) r.forEach((a, i) => assert.deepEqual(a, results[0][i]));
});

// q8 and q4 linear over 2 row blocks (128 + 5 rows: 4×8 and 1×8 tiles), 9 panels (2 column groups) + 5 tail rows, odd k.
async function quantizedOutputs(b: Backend): Promise<Float32Array[]> {
  const r = rng(43);
  const [m, n, k] = [133, 77, 97];
  const xv = uniform(r, m * k, 2), wv = uniform(r, n * k, 0.1), bv = uniform(r, n);
  const x = Tensor.from(b, xv, [m, k]), bias = Tensor.from(b, bv, [n]);
  const out: Float32Array[] = [];
  for (const format of ["q8", "q4"] as const) {
    const w = Weight.from(b, wv, [n, k], format), y = linear(x, w, bias);
    out.push(await y.data());
    [w, y].forEach((t) => t.dispose());
  }
  [x, bias].forEach((t) => t.dispose());
  return out;
}

test("q8 and q4 linear: 1, 2 and 3 threads give bit-identical results; q8 equals the reference's integer path", async () => {
  const results: Float32Array[][] = [];
  for (const threads of [1, 2, 3]) {
    const b = await createBackend("wasm", { threads });
    try { results.push(await quantizedOutputs(b)); } finally { b.dispose(); }
  }
  for (const r of results.slice(1)) r.forEach((a, i) => assert.deepEqual(a, results[0][i]));
  // Same quantizer (f32 division, round half to even), exact int32 sums, the same f32 epilogue steps: bit for bit.
  const ref = await createBackend("reference");
  try { assert.deepEqual(results[0][0], (await quantizedOutputs(ref))[0]); } finally { ref.dispose(); }
});

test("prepareWeight packs a copy: the source stays row-major for gather, linear refuses an unprepared weight", async () => {
  const b = await createBackend("wasm", { threads: 2 });
  try {
    const r = rng(7);
    const [n, k] = [21, 10];
    const wData = uniform(r, n * k);
    const table = Tensor.from(b, wData, [n, k]);
    const w = Weight.fromTensor(table, { shared: true }); // a tied decoder: the table stays the embedding
    assert.equal(w.arg.prepared, true);
    assert.notEqual(w.arg.data, table.buf, "a fresh buffer holds the panels");
    const x = Tensor.from(b, uniform(r, 3 * k), [3, k]);
    const y1 = linear(x, w), y2 = linear(x, w);
    assert.deepEqual(await y1.data(), await y2.data());
    // A weight handed over (the loader's case) is packed in its own buffer, with the same results.
    const owned = Weight.from(b, wData, [n, k]);
    assert.equal(owned.arg.prepared, true);
    const y3 = linear(x, owned);
    assert.deepEqual(await y3.data(), await y1.data());
    owned.dispose(); y3.dispose();
    const ids = Int32Array.from([0, 7, 8, 15, 16, 20, 3]);
    const g = gather(table, ids);
    const gd = await g.data();
    ids.forEach((id, i) => assert.deepEqual(gd.subarray(i * k, (i + 1) * k), wData.subarray(id * k, (id + 1) * k)));
    assert.deepEqual(await table.data(), wData, "the source was not touched");
    // The same weight used as stored (never prepared) is refused, typed, instead of being read as panels.
    assert.throws(() => b.run("linear", { x: x.buf, w: { data: table.buf, format: "f32" }, out: y1.buf, m: 3, n, k }),
      (e: unknown) => e instanceof BackendError && /not prepared/.test((e as Error).message));
    assert.throws(() => b.upload(w.arg.data, new Float32Array(1)), BackendError);
    [w, table, x, y1, y2, g].forEach((t) => t.dispose());
    assert.equal(b.stats().buffers, 0);
  } finally {
    b.dispose();
  }
  assert.throws(() => b.alloc(4), BackendError);
});

test("every build carries the ABI fingerprint of the host's table, and exec dispatches each of its kernels", async () => {
  for (const v of ["simd", "simd-mt"] as Variant[]) {
    const ex = await instantiate(await compiled(v), new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: v.endsWith("mt") }));
    assert.equal(ex.abiFingerprint() >>> 0, ABI_FINGERPRINT, `${v}: generated/abi.ts and the build come from the same abi.json`);
  }
  const ops = Object.values(ABI).map((k) => k.op);
  assert.deepEqual(ops, ops.map((_, i) => i + 1), "opcodes are positions in abi.json");
  for (const k of Object.values(ABI)) {
    const slots = Object.values(k.fields).map(([slot]) => slot);
    assert.deepEqual(slots, slots.map((_, i) => i + 2), "fields fill slots 2… in order");
  }
});

test("relaxedDot is only claimed where the known-answer probe passes", async () => {
  const b = await createBackend("wasm", { threads: 1 });
  try {
    if (!b.caps.relaxedSimd) assert.equal(b.caps.relaxedDot, false);
    assert.equal(b.caps.int8Dot, true);
  } finally { b.dispose(); }
});
