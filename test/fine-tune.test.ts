// GermModel.fineTune end to end: a learning test (a planted motif, held-out accuracy), the training golden's saved
// PEFT adapter reproduced through the public API and saveAdapter, save → loadAdapter round trips, regression,
// abort, and bad labels refused with typed errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GermModel } from "../src/pipeline/germ-model.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { toFloat32 } from "../src/io/raw-tensor.js";
import { InputError } from "../src/errors.js";
import { rng } from "../src/contract/random.js";
import { assertClose } from "./helpers/compare.js";
import { fixturesDir, NO_FIXTURES, readJson } from "./helpers/fixtures.js";
import { dirSource, goldenArrays } from "./helpers/golden.js";
import { checkTrainingRun } from "./helpers/train-checks.js";

const FIX = fixturesDir();
const skip = FIX ? false : NO_FIXTURES;
const BASE = "tiny-softmax1-cls";
const DEVICE = (process.env.GERM_FINETUNE_BACKEND ?? "wasm") as "wasm" | "reference" | "webgpu";

/** Random 40 bp sequences; odd ones carry a TA-repeat motif at a random place (label 1). */
function motifSet(n: number, seed: number): { texts: string[]; labels: number[] } {
  const r = rng(seed), MOTIF = "TATATATATATATATA", texts: string[] = [], labels: number[] = [];
  for (let i = 0; i < n; i++) {
    let s = Array.from({ length: 40 }, () => "ACGT"[Math.floor(r() * 4)]).join("");
    if (i % 2) { const p = Math.floor(r() * (40 - MOTIF.length)); s = s.slice(0, p) + MOTIF + s.slice(p + MOTIF.length); }
    texts.push(s); labels.push(i % 2);
  }
  return { texts, labels };
}

test(`learning test on ${DEVICE}: LoRA on Wqkv learns a planted motif (held-out accuracy ≥ 0.9)`, { skip }, async () => {
  const m = await GermModel.fromPretrained(dirSource(join(FIX!, BASE)), { device: DEVICE });
  try {
    const train = motifSet(128, 1), held = motifSet(64, 2);
    const steps: number[] = [];
    // Without dropout (the config's 0.1 hidden dropout is the next test's): four epochs at a high learning rate.
    const run = await m.fineTune(train, { adapter: "motif", numLabels: 2, labelNames: ["none", "motif"], epochs: 4, lr: 1e-2, batchSize: 16, evalSet: held, hiddenDropout: 0, onStep: (s) => steps.push(s.loss) });
    assert.equal(run.adapter, "motif");
    assert.equal(run.steps.length, 32);
    assert.equal(run.evals.length, 4);
    const preds = await m.classify(held.texts, { adapter: "motif" });
    const acc = preds.filter((p, i) => p.label === ["none", "motif"][held.labels[i]]).length / held.texts.length;
    console.log(`# learning test (${DEVICE}): held-out accuracy ${acc.toFixed(3)} (evals ${run.evals.map((e) => e.accuracy!.toFixed(3)).join(", ")}), loss ${steps[0].toFixed(3)} → ${steps[steps.length - 1].toFixed(3)}, MCC ${run.evals[3].mcc!.toFixed(3)}`);
    assert.ok(acc >= 0.9, `held-out accuracy ${acc}`);
    assert.equal(acc, run.evals[3].accuracy, "classify() with the registered adapter agrees with the last evaluation");
    // Saved as PEFT files, loaded back: the same predictions.
    const dir = mkdtempSync(join(tmpdir(), "germ-adapter-"));
    try {
      await m.saveAdapter("motif", dir);
      await m.loadAdapter("again", dir);
      const again = await m.classify(held.texts.slice(0, 8), { adapter: "again" });
      again.forEach((c, i) => { assert.equal(c.label, preds[i].label); assertClose(c.logits, preds[i].logits, `reloaded ${i}`, 1e-6, 1e-6); });
      const cfg = JSON.parse(readFileSync(join(dir, "adapter_config.json"), "utf8"));
      assert.deepEqual([cfg.peft_type, cfg.task_type, cfg.r, cfg.lora_alpha, cfg.target_modules, cfg.modules_to_save], ["LORA", "SEQ_CLS", 8, 16, ["Wqkv"], ["classifier", "score"]]);
      assert.deepEqual(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).id2label, { 0: "none", 1: "motif" });
    } finally { rmSync(dir, { recursive: true, force: true }); }
  } finally { m.dispose(); }
});

test("the training golden through the public API: fineTune from its init writes its PEFT adapter (keys, shapes, values)", { skip }, async () => {
  const tdir = join(FIX!, BASE, "train"), g = readJson(join(tdir, "golden.json")), want = goldenArrays(tdir);
  const m = await GermModel.fromPretrained(dirSource(join(FIX!, BASE)), { device: DEVICE });
  try {
    const { files, worst } = await checkTrainingRun(m, g, want, "wqkv_zeroB", readFileSync(join(tdir, "adapter-wqkv_zeroB", "adapter_config.json")));
    const ours = readSafetensors(files.get("adapter_model.safetensors")!, "ours").tensors;
    const theirs = readSafetensors(new Uint8Array(readFileSync(join(tdir, "adapter-wqkv_zeroB", "adapter_model.safetensors"))), "theirs").tensors;
    assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort(), "the same tensor names as PeftModel.save_pretrained");
    for (const [k, t] of theirs) {
      assert.deepEqual(ours.get(k)!.shape, t.shape, k);
      // Without the goldens' overwrite protocol, Adam-sensitive elements may differ by up to a step (TRAINING.md §3).
      assertClose(toFloat32(ours.get(k)!, k), toFloat32(t, k), `saved ${k}`, 6e-3, 0);
    }
    const cfg = JSON.parse(new TextDecoder().decode(files.get("adapter_config.json")!)), ref = JSON.parse(readFileSync(join(tdir, "adapter-wqkv_zeroB", "adapter_config.json"), "utf8"));
    for (const k of ["peft_type", "task_type", "r", "lora_alpha", "target_modules", "modules_to_save", "bias", "use_rslora", "use_dora", "fan_in_fan_out", "inference_mode"]) assert.deepEqual(cfg[k], ref[k], k);
    console.log(`# training golden through fineTune on ${DEVICE}: losses and logits max |err| ${worst.toExponential(2)}`);
  } finally { m.dispose(); }
});

test(`learning test on ${DEVICE} with dropout (config's hidden 0.1, LoRA 0.1): still learns the motif (held-out accuracy ≥ 0.9)`, { skip }, async () => {
  const m = await GermModel.fromPretrained(dirSource(join(FIX!, BASE)), { device: DEVICE });
  try {
    const train = motifSet(128, 1), held = motifSet(64, 2);
    const run = await m.fineTune(train, { adapter: "motif-dropout", numLabels: 2, epochs: 8, lr: 1e-2, batchSize: 16, evalSet: held, lora: { dropout: 0.1 } });
    const acc = run.evals[run.evals.length - 1].accuracy!;
    console.log(`# learning test with dropout (${DEVICE}): held-out accuracy by epoch ${run.evals.map((e) => e.accuracy!.toFixed(3)).join(", ")}`);
    assert.ok(acc >= 0.9, `held-out accuracy ${acc}`);
  } finally { m.dispose(); }
});

test("regression (numLabels 1, MSE), abort after a step, and bad training data refused", { skip }, async () => {
  const m = await GermModel.fromPretrained(dirSource(join(FIX!, BASE)), { device: DEVICE });
  try {
    const d = motifSet(32, 3);
    const reg = await m.fineTune({ texts: d.texts, labels: d.labels.map((l) => l * 2 - 1) }, { adapter: "reg", numLabels: 1, epochs: 3, lr: 1e-2, batchSize: 8, hiddenDropout: 0 });
    assert.ok(reg.steps[reg.steps.length - 1].loss < reg.steps[0].loss, `MSE falls: ${reg.steps.map((s) => s.loss.toFixed(3)).join(" ")}`);
    assert.equal((await m.classify(d.texts.slice(0, 2), { adapter: "reg" }))[0].logits.length, 1);
    const ac = new AbortController();
    const ab = await m.fineTune(d, { adapter: "aborted", numLabels: 2, epochs: 5, batchSize: 8, signal: ac.signal, onStep: (s) => { if (s.step === 2) ac.abort(); } });
    assert.equal(ab.aborted, true);
    assert.equal(ab.steps.length, 2);
    assert.ok(m.adapters.includes("aborted"), "the adapter trained so far is kept");
    const bad: [object, object, RegExp][] = [
      [{ texts: d.texts, labels: d.labels.slice(1) }, {}, /32 texts but 31 labels/],
      [{ texts: d.texts, labels: d.labels.map(() => 5) }, { numLabels: 2 }, /label 0 = 5 is not a class index in \[0, 2\)/],
      [{ texts: d.texts, labels: d.labels.map(() => "maybe") }, { numLabels: 2 }, /label 0 = "maybe" is none of/],
      [{ texts: d.texts, labels: d.labels.map(() => "x") }, { numLabels: 1 }, /label 0 = "x" is not a number/],
      [{ texts: [], labels: [] }, {}, /has no sequences/],
      [d, { numLabels: 2, hiddenDropout: 1 }, /hiddenDropout must be a probability in \[0, 1\), got 1/],
      [d, { numLabels: 2, lora: { dropout: -0.1 } }, /lora\.dropout must be a probability/],
      [d, { adapter: "reg" }, /already loaded/],
      [d, { lora: { targetModules: ["nothing"] }, numLabels: 2 }, /match no Linear/],
      [d, { epochs: 0 }, /epochs must be an integer ≥ 1/],
    ];
    for (const [data, opts, re] of bad) {
      await assert.rejects(m.fineTune(data as never, { adapter: "bad", ...opts }), (e: Error) => (e instanceof InputError || e.name === "ConfigError") && re.test(e.message), String(re));
    }
    assert.ok(!m.adapters.includes("bad"));
  } finally { m.dispose(); }
});

test("abort mid-run, save the adapter, resume from it with lora.init: training goes on from the saved weights", { skip }, async () => {
  const m = await GermModel.fromPretrained(dirSource(join(FIX!, BASE)), { device: DEVICE });
  const dir = mkdtempSync(join(tmpdir(), "germ-resume-"));
  try {
    const d = motifSet(32, 5), common = { numLabels: 2, batchSize: 8, shuffle: false, hiddenDropout: 0, lr: 1e-2 } as const;
    const ac = new AbortController();
    const first = await m.fineTune(d, { ...common, adapter: "part1", epochs: 5, signal: ac.signal, onStep: (s) => { if (s.step === 3) ac.abort(); } });
    assert.equal(first.aborted, true);
    assert.equal(first.steps.length, 3);
    await m.saveAdapter("part1", dir);
    // The loss the resumed run computes in its first step (before its update) is the saved adapter's on that batch.
    const batch = { texts: d.texts.slice(0, 8), labels: d.labels.slice(0, 8) };
    const logits = await m.classify(batch.texts, { adapter: "part1" });
    const want = logits.reduce((sum, c, i) => {
      const z = [...c.logits], mx = Math.max(...z), lse = mx + Math.log(z.reduce((a, v) => a + Math.exp(v - mx), 0));
      return sum + (lse - z[batch.labels[i]]);
    }, 0) / batch.texts.length;
    const resumed = await m.fineTune(d, { ...common, adapter: "part2", epochs: 2, lora: { init: dir } });
    assertClose([resumed.steps[0].loss], [want], "first loss of the resumed run", 1e-5, 1e-5);
    const fresh = await m.fineTune(d, { ...common, adapter: "fresh", epochs: 1 });
    assert.ok(Math.abs(fresh.steps[0].loss - want) > 1e-3, "a fresh run starts elsewhere (the init was used)");
    console.log(`# resume: aborted after 3 steps (loss ${first.steps[2].loss.toFixed(4)}), resumed at ${resumed.steps[0].loss.toFixed(4)} → ${resumed.steps.at(-1)!.loss.toFixed(4)} after ${resumed.steps.length} steps`);
  } finally {
    m.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
