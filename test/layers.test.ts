// Per-layer, per-token and max-pooled output (issue 12) against the PyTorch goldens, on the reference and Wasm
// backends: forward/embed/embedTokens with { layer: j } return layer j's output (golden `<seq>/layer.<j>.mlp.layernorm`),
// negative layers count from the end, the last layer is today's output bit for bit, pooling "max" is the
// per-dimension max of the golden last_hidden_state; bad options fail with an InputError naming them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { existsSync } from "node:fs";
import { GermModel } from "../src/pipeline/germ-model.js";
import { InputError } from "../src/errors.js";
import { fixturesDir, NO_FIXTURES, readJson } from "./helpers/fixtures.js";
import { dirSource, goldenArrays } from "./helpers/golden.js";
import { GOLDEN_TOL_F32 } from "./helpers/golden-checks.js";
import { assertClose } from "./helpers/compare.js";
import { createBackend } from "../src/backend/create.js";

const FIX = fixturesDir();
const { atol, rtol } = GOLDEN_TOL_F32;
const worst: Record<string, number> = {};

function meanRows(x: Float32Array, H: number): Float64Array {
  const m = new Float64Array(H), n = x.length / H;
  for (let r = 0; r < n; r++) for (let c = 0; c < H; c++) m[c] += x[r * H + c] / n;
  return m;
}
function maxRowsOf(x: Float32Array, H: number): Float32Array {
  const m = new Float32Array(H).fill(-Infinity);
  for (let r = 0; r < x.length / H; r++) for (let c = 0; c < H; c++) m[c] = Math.max(m[c], x[r * H + c]);
  return m;
}

async function available(device: "webgpu"): Promise<string | false> {
  try { (await createBackend(device)).dispose(); return false; } catch (e) { return `skipped: ${(e as Error).message}`; }
}

// WebGPU runs the same code path; on a software adapter one fixture (GERM's softmax1) is enough.
for (const device of ["reference", "wasm", "webgpu"] as const) {
  // The fixtures that store layer outputs (tiny-softmax-cls stores none: same weights as tiny-softmax1-cls).
  for (const name of device === "webgpu" ? ["tiny-softmax1"] : ["tiny-softmax", "tiny-softmax1", "tiny-softmax1-cls"]) {
    const dir = FIX ? join(FIX, name) : "";
    const gpu = device === "webgpu" && process.env.CI !== "true" ? await available("webgpu") : false;
    const skip = !FIX ? NO_FIXTURES : !existsSync(join(dir, "golden.json")) ? `skipped: ${name} has no golden.json` : gpu;
    test(`every layer of ${name} on ${device}: forward / embed / embedTokens { layer } vs the goldens; pooling "max"`, { skip }, async () => {
      const g = readJson(join(dir, "golden.json"));
      const want = goldenArrays(dir);
      const model = await GermModel.fromPretrained(dirSource(dir, ["pytorch_model.bin"]), { device });
      try {
        const H = model.config.hiddenSize, L = model.config.numHiddenLayers;
        const all = g.sequences as { name: string; text: string; layer_outputs_stored: boolean; last_hidden_state_stored: boolean }[];
        // Layer by layer only the sequences with stored layer outputs (the short ones: this runs 4 calls per layer).
        const seqs = all.filter((s) => s.layer_outputs_stored);
        assert.ok(seqs.length > 0, `${name}: sequences with layer outputs stored`);
        const texts = seqs.map((s) => s.text);
        const last = (await model.forward(texts)).lastHiddenState;
        for (let j = 0; j < L; j++) {
          const key = `${name}/${device}/layer ${j}`;
          const got = (await model.forward(texts, { layer: j })).lastHiddenState;
          const neg = (await model.forward(texts, { layer: j - L })).lastHiddenState;
          const toks = await model.embedTokens(texts, { layer: j });
          const mean = await model.embed(texts, { layer: j });
          let e = 0;
          seqs.forEach((s, i) => {
            assert.deepEqual(neg[i], got[i], `${s.name}: layer ${j - L} = layer ${j}`);
            assert.deepEqual(toks[i].vectors, got[i], `${s.name}: embedTokens = forward at layer ${j}`);
            const w = want(`${s.name}/layer.${j}.mlp.layernorm`);
            e = Math.max(e, assertClose(got[i], w, `${key} ${s.name}`, atol, rtol));
            e = Math.max(e, assertClose(mean[i], meanRows(w, H), `${key} ${s.name} mean`, atol, rtol));
          });
          worst[`${key} (${seqs.length} sequences)`] = e;
        }
        assert.deepEqual((await model.forward(texts, { layer: L - 1 })).lastHiddenState, last, "layer L−1 is the default output");
        assert.deepEqual((await model.forward(texts, { layer: -1 })).lastHiddenState, last, "layer −1 is the default output");
        // Max pooling: per-dimension max over every token of the golden last hidden state (every stored sequence,
        // the 641-token one too).
        const longSeqs = all.filter((s) => s.last_hidden_state_stored && !s.layer_outputs_stored);
        const longLast = (await model.forward(longSeqs.map((s) => s.text))).lastHiddenState;
        const longMax = await model.embed(longSeqs.map((s) => s.text), { pooling: "max" });
        const mx = await model.embed(texts, { pooling: "max" });
        const maxLayer0 = await model.embed(texts, { pooling: "max", layer: 0 });
        const l0 = (await model.forward(texts, { layer: 0 })).lastHiddenState;
        let emax = 0;
        seqs.forEach((s, i) => {
          assert.deepEqual(mx[i], maxRowsOf(last[i], H), `${s.name}: max = max of our own hidden state, bit for bit`);
          assert.deepEqual(maxLayer0[i], maxRowsOf(l0[i], H), `${s.name}: max at layer 0`);
          if (s.last_hidden_state_stored) emax = Math.max(emax, assertClose(mx[i], maxRowsOf(want(`${s.name}/last_hidden_state`), H), `${s.name} max pooled`, atol, rtol));
        });
        longSeqs.forEach((s, i) => {
          assert.deepEqual(longMax[i], maxRowsOf(longLast[i], H), `${s.name}: max = max of our own hidden state`);
          emax = Math.max(emax, assertClose(longMax[i], maxRowsOf(want(`${s.name}/last_hidden_state`), H), `${s.name} max pooled`, atol, rtol));
        });
        worst[`${name}/${device}/max pooling (${seqs.length + longSeqs.length} sequences)`] = emax;
        // embedTokens: tokens and offsets are the tokenizer's.
        const toks = await model.embedTokens(texts);
        seqs.forEach((s, i) => {
          const enc = model.tokenizer.encode(s.text, { offsets: true });
          assert.deepEqual([toks[i].ids, toks[i].tokens, toks[i].offsets], [enc.ids, enc.tokens, enc.offsets]);
          assert.deepEqual(toks[i].vectors, last[i]);
        });
        for (const layer of [L, -L - 1, 0.5, "1", NaN]) {
          for (const call of [() => model.forward(texts, { layer: layer as number }), () => model.embed(texts, { layer: layer as number }),
            () => model.embedTokens(texts, { layer: layer as number }), () => model.embedWindows(texts, { layer: layer as number })]) {
            await assert.rejects(call(), (e: Error) => e instanceof InputError && /layer/.test(e.message), `layer ${String(layer)} refused`);
          }
        }
        await assert.rejects(model.embed(texts, { pooling: "median" as "max" }), (e: Error) => e instanceof InputError && /pooling/.test(e.message));
        if (model.config.numHiddenLayers > 0 && g.model_class?.startsWith?.("BertForSequenceClassification")) {
          const p = await model.embed(texts, { pooling: "pooler", layer: 0 });
          assert.equal(p.length, texts.length, "the pooler reads an intermediate layer too");
        }
      } finally { model.dispose(); }
    });
  }
}

test("max error per layer vs the goldens (report)", { skip: !FIX ? NO_FIXTURES : false }, () => {
  for (const [k, v] of Object.entries(worst)) console.log(`# ${k}: max |err| ${v.toExponential(2)}`);
});
