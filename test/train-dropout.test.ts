// Dropout in LoRA fine-tuning (peft's lora_dropout, BERT's hidden dropout, the classifier's): a forward's masks are
// fixed by (seed, draw), so the same draw gives the same loss and gradients, another draw other ones; per-layer
// recomputation redraws the very masks of the first forward; and the gradients are those of the masked loss (central
// differences on the reference backend).
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { createBackend } from "../src/backend/create.js";
import { loadCheckpoint } from "../src/io/checkpoint.js";
import { parseConfig } from "../src/model/config.js";
import { createModelState, disposeModelState } from "../src/model/state.js";
import { packBatch } from "../src/model/encoder.js";
import { DnaTokenizer } from "../src/tokenizer/tokenizer.js";
import { LoraTrainer, type LoraSpec } from "../src/train/trainer.js";
import { assertClose } from "./helpers/compare.js";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";
import { dirSource } from "./helpers/golden.js";

const FIX = fixturesDir();
const skip = FIX ? false : NO_FIXTURES;
const DIR = join(FIX ?? "", "tiny-softmax1-cls");
const TEXTS = ["ACGTAGCATCGGATCTATCTATCGACACTTGG", "TTGACAGGCTAGCTAGGATCGATCG", "GGGCCCAAATTTACGTACGT", "CATCATCATGATTACA"];
const LABELS = [0, 1, 1, 0];
const DROP = { lora: 0.1, hidden: 0.1, classifier: 0.1 };

async function setup(device: "reference" | "wasm", spec: Partial<LoraSpec> = {}) {
  const config = parseConfig(JSON.parse(readFileSync(join(DIR, "config.json"), "utf8")), "config.json");
  const { tensors, file } = await loadCheckpoint(dirSource(DIR));
  const state = await createModelState(await createBackend(device, { threads: device === "wasm" ? 2 : undefined }), tensors, config, file, "f32");
  const tok = DnaTokenizer.fromJSON(readFileSync(join(DIR, "tokenizer.json"), "utf8"));
  // Random B (not zeros), so every LoRA gradient is nonzero from the first step.
  const trainer = new LoraTrainer(state, { r: 4, alpha: 8, targets: { list: ["Wqkv", "wo"] }, seed: 3, dropout: DROP, ...spec }, tensors, file);
  for (const p of trainer.params.filter((q) => q.name.includes("lora_B"))) {
    const v = await p.t.data();
    await trainer.overwrite(p.name, [...v.keys()], Float32Array.from(v, (_, i) => 0.02 * Math.sin(i + 1)));
  }
  const batch = packBatch(TEXTS.map((t) => tok.encode(t).ids));
  return { state, trainer, batch, done: () => { trainer.dispose(); disposeModelState(state); } };
}

test("the same draw gives the same loss and gradients, another draw others; no dropout differs from both", { skip }, async () => {
  const s = await setup("reference");
  const plain = await setup("reference", { dropout: undefined });
  try {
    const a = await s.trainer.gradients(s.batch, LABELS, { draw: 5 }), b = await s.trainer.gradients(s.batch, LABELS, { draw: 5 });
    const c = await s.trainer.gradients(s.batch, LABELS, { draw: 6 }), none = await plain.trainer.gradients(plain.batch, LABELS);
    assert.equal(a.loss, b.loss);
    for (const [p, g] of a.grads) assert.deepEqual(await g.data(), await b.grads.get(p)!.data(), p.name);
    assert.notEqual(a.loss, c.loss);
    assert.notEqual(a.loss, none.loss);
    for (const r of [a, b, c, none]) r.grads.forEach((g) => g.dispose());
  } finally { s.done(); plain.done(); }
});

test("per-layer recomputation draws the first forward's masks: same loss and gradients as one tape (Wasm)", { skip }, async () => {
  const taped = await setup("wasm"), recomputed = await setup("wasm", { recompute: true });
  try {
    const a = await taped.trainer.gradients(taped.batch, LABELS, { draw: 2 });
    const b = await recomputed.trainer.gradients(recomputed.batch, LABELS, { draw: 2 });
    assertClose([b.loss], [a.loss], "loss", 1e-6, 1e-6);
    for (const [p, g] of a.grads) {
      const q = [...b.grads.keys()].find((x) => x.name === p.name)!;
      const want = await g.data();
      const m = want.reduce((x, v) => Math.max(x, Math.abs(v)), 0);
      assertClose(await b.grads.get(q)!.data(), want, p.name, 1e-5 * m + 1e-9, 0);
    }
    for (const r of [a, b]) r.grads.forEach((g) => g.dispose());
  } finally { taped.done(); recomputed.done(); }
});

test("gradients with dropout are those of the masked loss (central differences, reference backend)", { skip }, async () => {
  const s = await setup("reference");
  try {
    const draw = 9;
    const g = await s.trainer.gradients(s.batch, LABELS, { draw });
    const names = ["bert.encoder.layer.0.attention.self.Wqkv.lora_A.weight", "bert.encoder.layer.1.mlp.wo.lora_B.weight", "classifier.weight"];
    for (const name of names) {
      const p = s.trainer.params.find((q) => q.name === name);
      assert.ok(p, `${name} is trained (params: ${s.trainer.params.map((q) => q.name).join(", ")})`);
      const grad = await g.grads.get(p!)!.data(), value = await p!.t.data();
      // The element with the largest gradient (the best-conditioned difference), in the tensor's stored layout.
      const i = grad.reduce((best, v, k) => (Math.abs(v) > Math.abs(grad[best]) ? k : best), 0);
      const at = (delta: number) => Float32Array.from(value, (v, k) => (k === i ? v + delta : v));
      const loss = async (delta: number) => {
        s.state.backend.upload(p!.t.buf, at(delta));
        const r = await s.trainer.gradients(s.batch, LABELS, { draw });
        r.grads.forEach((t) => t.dispose());
        return r.loss;
      };
      const eps = 1e-2 * Math.max(1e-2, Math.abs(value[i]));
      const numeric = ((await loss(eps)) - (await loss(-eps))) / (2 * eps);
      s.state.backend.upload(p!.t.buf, value);
      assert.ok(Math.abs(numeric - grad[i]) <= 2e-2 * Math.abs(grad[i]) + 1e-5, `${name}[${i}]: analytic ${grad[i]}, central difference ${numeric}`);
    }
    g.grads.forEach((t) => t.dispose());
  } finally { s.done(); }
});

test("dropout sites are DNABERT-2's: after the embeddings and attention.output.dense, between the GLU and mlp.wo", { skip }, async () => {
  const { INFERENCE } = await import("../src/model/graph.js");
  const { encode } = await import("../src/model/encoder.js");
  const s = await setup("reference");
  try {
    const made = new Map<object, string>(), log: string[] = [];
    const name = (t: object) => made.get(t) ?? "?";
    const graph = {
      ...INFERENCE,
      project: (x: any, lin: any, spans: any) => { const y = INFERENCE.project(x, lin, spans); log.push(`project ${lin.name} of ${name(x)}`); made.set(y, `out ${lin.name}`); return y; },
      gluGelu: (x: any) => { const y = INFERENCE.gluGelu(x); made.set(y, "glu"); return y; },
      layerNorm: (x: any, g: any, b: any, e: number, r?: any) => { const y = INFERENCE.layerNorm(x, g, b, e, r); made.set(y, `ln of ${name(x)}`); return y; },
      dropout: (x: any, site: string) => { log.push(`dropout ${site} of ${name(x)}`); made.set(x, `dropped ${site}`); return x; },
    };
    (await encode(s.state, s.batch, { graph, layers: 1 })).dispose();
    assert.deepEqual(log.filter((l) => /dropout|mlp\.wo|attention\.output|gated/.test(l)), [
      "dropout embeddings of ln of ?",
      "project encoder.layer.0.attention.output.dense of ?",
      "dropout layer.0.attention of out encoder.layer.0.attention.output.dense",
      "project encoder.layer.0.mlp.gated_layers of ln of dropped layer.0.attention",
      "dropout layer.0.mlp of glu",
      "project encoder.layer.0.mlp.wo of dropped layer.0.mlp",
    ]);
  } finally { s.done(); }
});
