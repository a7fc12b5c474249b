// Attention in blocks of query rows (issue: long work blocks the event loop): the op's `rows` range computes exactly
// those rows, and inference on CPU backends splits a long batch's attention into blocks with the event loop served
// in between — the same numbers bit for bit, more turns of the event loop, and an abort between blocks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { createBackend } from "../src/backend/create.js";
import { Tensor } from "../src/tensor/tensor.js";
import { SeqIndex } from "../src/contract/seq.js";
import { alibiSlopes } from "../src/contract/math.js";
import { attention } from "../src/ops/ops.js";
import { attentionBlocking } from "../src/model/encoder.js";
import { GermModel } from "../src/pipeline/germ-model.js";
import { ShapeError } from "../src/errors.js";
import { uniform, rng } from "./helpers/rng.js";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";

const root = fixturesDir();

for (const device of ["reference", "wasm"] as const) {
  test(`attention rows: blocks of query rows assemble the whole attention bit for bit (${device})`, async () => {
    const b = await createBackend(device, { threads: device === "wasm" ? 2 : undefined });
    try {
      const seqs = SeqIndex.of([37, 5, 70]), heads = 2, d = 16, H = heads * d;
      const qkv = Tensor.from(b, uniform(rng(4), seqs.total * 3 * H, 2), [seqs.total, 3 * H]);
      for (const softmax of ["vanilla", "softmax1"] as const) {
        const o = { seqs, heads, softmax, slopes: alibiSlopes(heads) };
        const whole = attention(qkv, o);
        const parts = Tensor.from(b, new Float32Array(seqs.total * H).fill(7), [seqs.total, H]);
        for (const [r0, r1] of [[0, 3], [3, 40], [40, 41], [41, 41], [41, 112]] as [number, number][]) attention(qkv, { ...o, rows: [r0, r1], into: parts });
        assert.deepEqual(await parts.data(), await whole.data(), softmax);
        // Rows outside the range are left as they were.
        const one = Tensor.from(b, new Float32Array(seqs.total * H).fill(7), [seqs.total, H]);
        attention(qkv, { ...o, rows: [10, 12], into: one });
        const v = await one.data(), w = await whole.data();
        for (let i = 0; i < seqs.total * H; i++) assert.equal(v[i], i >= 10 * H && i < 12 * H ? w[i] : 7, `element ${i}`);
        assert.throws(() => attention(qkv, { ...o, rows: [0, 200], into: one }), ShapeError);
        assert.throws(() => attention(qkv, { ...o, rows: [0, 2] }), ShapeError);
        [whole, parts, one].forEach((t) => t.dispose());
      }
      qkv.dispose();
    } finally { b.dispose(); }
  });
}

test("a long sequence's attention runs in blocks on Wasm: same hidden states, the event loop served between, abortable", { skip: root ? false : NO_FIXTURES }, async () => {
  const model = await GermModel.fromPretrained(join(root!, "tiny-softmax1"), { device: "wasm", threads: 2, maxLength: 1 << 16 });
  const saved = { ...attentionBlocking };
  try {
    let s = 5;
    const dna = Array.from({ length: 6000 }, () => "ACGT"[((s = (s * 1103515245 + 12345) % 2 ** 31) >>> 16) % 4]).join("");
    const turns = async (f: () => Promise<unknown>) => {
      let n = 0, on = true;
      const tick = () => { if (on) { n++; setImmediate(tick); } };
      setImmediate(tick);
      try { await f(); } finally { on = false; }
      return n;
    };
    let whole!: Float32Array[], blocked!: Float32Array[];
    attentionBlocking.flops = Infinity;
    const plain = await turns(async () => { whole = (await model.forward([dna])).lastHiddenState; });
    attentionBlocking.flops = 2 ** 20;
    attentionBlocking.minRows = 64;
    const split = await turns(async () => { blocked = (await model.forward([dna])).lastHiddenState; });
    assert.deepEqual(blocked, whole);
    const layers = model.config.numHiddenLayers, tokens = whole[0].length / model.config.hiddenSize;
    console.log(`# ${tokens} tokens, ${layers} layers: ${plain} event-loop turns unblocked, ${split} in blocks of ≥ 64 query rows`);
    assert.ok(split >= plain + layers * Math.floor(tokens / (2 * 64)), `${split} turns in blocks vs ${plain}`);
    // An abort during the first layer's attention stops at the next block.
    const ac = new AbortController();
    setImmediate(() => ac.abort(new Error("stop")));
    await assert.rejects(model.forward([dna], { signal: ac.signal }), /stop/);
  } finally {
    Object.assign(attentionBlocking, saved);
    model.dispose();
  }
});
