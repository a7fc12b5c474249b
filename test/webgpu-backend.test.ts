// WebGPU backend behaviour beyond op values: one submit per forward, upload/free ordering against recorded work,
// typed errors for oversize buffers, bad dispatches and device loss (never a hang). Skips without an adapter
// unless CI=true (then golden-webgpu.test.ts fails on the missing adapter).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createWebGpuBackend, type WebGpuBackend } from "../src/backend/webgpu/webgpu.js";
import { createBackend } from "../src/backend/create.js";
import type { Backend } from "../src/contract/backend.js";
import { Tensor } from "../src/tensor/tensor.js";
import { Weight } from "../src/tensor/weight.js";
import { SeqIndex } from "../src/contract/seq.js";
import { attention, gather, gluGelu, layerNorm, linear, unary } from "../src/ops/ops.js";
import { alibiSlopes } from "../src/contract/math.js";
import { BackendError } from "../src/errors.js";
import { uniform, rng } from "./helpers/rng.js";
import { assertClose } from "./helpers/compare.js";

const made = await createWebGpuBackend({});
const skip = "unavailable" in made ? `skipped: ${made.unavailable}` : false;
const fresh = async () => (await createWebGpuBackend({})) as WebGpuBackend;
if (!("unavailable" in made)) made.dispose();

/** linear → gluGelu → layerNorm on backend b; returns the output and every tensor made. */
function chain(b: Backend, x0: Float32Array) {
  const r = rng(5);
  const x = Tensor.from(b, x0, [9, 16]), w = Weight.from(b, uniform(r, 32 * 16), [32, 16]);
  const g = Tensor.from(b, uniform(r, 16), [16]), be = Tensor.from(b, uniform(r, 16), [16]);
  const h = linear(x, w), a = gluGelu(h), out = layerNorm(a, g, be, 1e-12, x);
  return { x, out, all: [x, w, g, be, h, a, out] };
}

test("a forward is one submit, and every tensor is returned to the pool", { skip }, async () => {
  const b = await fresh();
  const { out, all } = chain(b, uniform(rng(1), 9 * 16));
  const before = b.gpuStats().submits;
  await out.data();
  assert.equal(b.gpuStats().submits - before, 1, "three ops, one command buffer");
  all.forEach((t) => t.dispose());
  assert.equal(b.stats().buffers, 0);
  assert.ok(b.gpuStats().bytesPooled > 0);
  b.dispose();
});

test("upload and free after recording keep program order", { skip }, async () => {
  const [b, ref] = [await fresh(), await createBackend("reference")];
  const x0 = uniform(rng(2), 9 * 16);
  const want = await chain(ref, x0).out.data();
  const { x, out, all } = chain(b, x0);
  x.backend.upload(x.buf, new Float32Array(9 * 16).fill(7)); // the recorded ops must still see x0
  all.filter((t) => t !== out).forEach((t) => t.dispose());   // freed while queued: recycled only after submit
  const junk = Tensor.from(b, new Float32Array(4096).fill(-1), [4096]); // may reuse a pooled buffer
  assertClose(await out.data(), want, "chain output", 1e-5, 1e-5);
  junk.dispose(); out.dispose(); b.dispose();
});

test("oversize allocations and unsupported calls give reasons, not crashes", { skip }, async () => {
  const b = await fresh();
  assert.throws(() => b.alloc(2 ** 52), BackendError); // over any maxBufferSize; nothing is allocated
  const r = b.supports("attention", { headDim: 256, softmax: "vanilla" });
  assert.notEqual(r, true);
  assert.match((r as { reason: string }).reason, /headDim 256/);
  const qkv = b.alloc(4 * 3 * 256), out = b.alloc(4 * 256);
  assert.throws(() => b.run("attention", { qkv, out, seqs: SeqIndex.of([1]), heads: 1, headDim: 256, softmax: "vanilla", slopes: new Float32Array(1) }),
    (e: unknown) => e instanceof BackendError && /headDim 256/.test((e as Error).message), "run() refuses what supports() refuses");
  b.free(qkv); b.free(out); b.dispose();
});

test("an invalid dispatch surfaces as BackendError at flush", { skip }, async () => {
  const b = await fresh();
  const x = b.alloc(64), w = b.alloc(64), out = b.alloc(64);
  // Bypasses supports(): more workgroups than a dimension allows is a validation error.
  // Bypasses the kernel's limits (run() would refuse): more workgroups than a dimension allows is a validation error.
  (b as unknown as { open(): void }).open();
  b.dispatch("linear", { HAS_BIAS: false }, [b.buf(x), b.buf(w), b.opt(undefined), b.buf(out)], { m: 64, n: 1, k: 1 }, [b.maxWorkgroups + 1, 1]);
  await assert.rejects(b.flush(), BackendError);
  b.dispose();
});

// Deno's wgpu can abort the process at exit ("double free or corruption") once a device with submitted work was
// destroyed (upstream: denoland/deno#21648); Dawn (Node) and Chromium run this test.
const skipDeviceLoss = skip || ("Deno" in globalThis ? "skipped on Deno: destroying a device after submits crashes wgpu at exit (denoland/deno#21648)" : false);
test("device loss rejects pending and later work with BackendError", { skip: skipDeviceLoss }, async () => {
  const b = await fresh();
  const x = Tensor.from(b, uniform(rng(3), 64), [8, 8]), w = Weight.from(b, uniform(rng(4), 64), [8, 8]);
  const y = linear(x, w);
  (b as unknown as { device: GPUDevice }).device.destroy();
  await assert.rejects(y.data(), BackendError);
  assert.throws(() => linear(x, w), BackendError);
  b.dispose();
});

test("attention at head dims the shared cases skip (96, 128) matches the reference", { skip }, async () => {
  const [b, ref] = [await fresh(), await createBackend("reference")];
  for (const [heads, headDim, softmax] of [[2, 128, "softmax1"], [3, 96, "vanilla"]] as const) {
    const seqLens = [70, 5], qkv = uniform(rng(headDim), 75 * 3 * heads * headDim);
    const run = (be: Backend) => {
      const t = Tensor.from(be, qkv, [75, 3 * heads * headDim]);
      const out = attention(t, { seqs: SeqIndex.of(seqLens), heads, softmax, slopes: alibiSlopes(heads) });
      return out.data().finally(() => { t.dispose(); out.dispose(); });
    };
    assertClose(await run(b), await run(ref), `attention d${headDim}`, 2e-5, 2e-5);
  }
  b.dispose();
});

test("tensors over maxStorageBufferBindingSize run in row chunks with the same results", { skip }, async () => {
  const [b, ref] = [await fresh(), await createBackend("reference")];
  b.maxBindingBytes = 64 * 1024; // as if the adapter allowed 64 KiB per binding: x, h, a, out below are all larger
  const forward = (be: Backend) => {
    const r = rng(9);
    const x = Tensor.from(be, uniform(r, 300 * 96), [300, 96]), w = Weight.from(be, uniform(r, 120 * 96, 0.2), [120, 96]);
    const g = Tensor.from(be, uniform(r, 60), [60]), bb = Tensor.from(be, uniform(r, 60), [60]);
    const h = linear(x, w), a = gluGelu(h), n = layerNorm(a, g, bb, 1e-12, a), u = unary(n, "gelu");
    const e = gather(Tensor.from(be, uniform(r, 20 * 100), [20, 100]), Int32Array.from({ length: 700 }, (_, i) => (i * 7) % 20));
    return Promise.all([u.data(), e.data()]);
  };
  const [got, want] = [await forward(b), await forward(ref)];
  assert.ok(b.stats().dispatches >= 10, `5 ops over 64 KiB bindings should take ≥ 10 dispatches, took ${b.stats().dispatches}`);
  assertClose(got[0], want[0], "linear → gluGelu → layerNorm → gelu in chunks", 1e-5, 1e-5);
  assertClose(got[1], want[1], "gather in chunks", 0, 0);
  const big = b.alloc(4 * 64 * 1024), w = b.alloc(4 * 16 * 300);
  assert.throws(() => b.run("linear", { x: big, w: { data: big, format: "f32" }, out: big, m: 256, n: 256, k: 256 }), /maxStorageBufferBindingSize/, "a weight must fit one binding");
  assert.throws(() => b.run("linear", { x: big, w: { data: w, format: "f32" }, out: big, m: 300, n: 16, k: 300 }), /64 rows/, "64 rows of 300 floats (76.8 KB) do not fit a 64 KiB binding");
  b.dispose();
});

test("f16 weights: supports() needs shader-f16; with it, a model-shaped linear matches the reference on the same halves", { skip }, async () => {
  const b = await fresh();
  const probe = b.supports("linear", { format: "f16" });
  assert.equal(probe === true, b.caps.f16, `supports f16 ${JSON.stringify(probe)} vs caps.f16 ${b.caps.f16}`);
  if (probe !== true) { assert.match(probe.reason, /shader-f16/); b.dispose(); return; }
  const ref = await createBackend("reference"), r = rng(9);
  const x = uniform(r, 5 * 768), w = uniform(r, 3072 * 768, 0.05), bias = uniform(r, 3072);
  const run = async (be: Backend) => {
    const ts = [Tensor.from(be, x, [5, 768]), Weight.from(be, w, [3072, 768], "f16"), Tensor.from(be, bias, [3072])] as const;
    const y = linear(ts[0], ts[1], ts[2]);
    try { return await y.data(); } finally { y.dispose(); ts.forEach((t) => t.dispose()); }
  };
  assertClose(await run(b), await run(ref), "gated_layers shape [5, 768] · [3072, 768] f16", 2e-5, 2e-5);
  assert.equal(b.stats().buffers, 0);
  b.dispose();
});
