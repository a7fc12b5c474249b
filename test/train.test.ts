// LoRA fine-tuning against the training goldens (../shared/fixtures/*/train, TRAINING.md): for both softmaxes and
// every run (Wqkv or every linear, zero or random B, with and without weight decay): the loss and logits, every
// trainable gradient and the activation gradients at step 0, AdamW alone from the stored gradients, and the
// parameters after 1 and 3 steps of our own training, with the goldens' protocol for Adam-sensitive elements.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { createBackend } from "../src/backend/create.js";
import { createWebGpuBackend } from "../src/backend/webgpu/webgpu.js";
import { loadCheckpoint } from "../src/io/checkpoint.js";
import { parseConfig } from "../src/model/config.js";
import { createModelState, disposeModelState, type ModelState } from "../src/model/state.js";
import { packBatch } from "../src/model/encoder.js";
import { DnaTokenizer } from "../src/tokenizer/tokenizer.js";
import { Tensor } from "../src/tensor/tensor.js";
import { transpose } from "../src/contract/math.js";
import { LoraTrainer, type Param } from "../src/train/trainer.js";
import { assertClose } from "./helpers/compare.js";
import { fixturesDir, NO_FIXTURES, readJson } from "./helpers/fixtures.js";
import { dirSource, goldenArrays } from "./helpers/golden.js";
import { readFileSync } from "node:fs";

const FIX = fixturesDir();
const skip = FIX ? false : NO_FIXTURES;
const MODELS = ["tiny-softmax1-cls", "tiny-softmax-cls"];
// WebGPU joins when an adapter is there (software Vulkan runs these goldens in ~10 s); under CI=true it must be.
const wanted = (process.env.GERM_TRAIN_BACKENDS ?? "reference,wasm,webgpu").split(",") as ("reference" | "wasm" | "webgpu")[];
const gpuProbe = wanted.includes("webgpu") ? await createWebGpuBackend({}) : null;
const noGpu = gpuProbe && "unavailable" in gpuProbe ? gpuProbe.unavailable : null;
if (gpuProbe && !("unavailable" in gpuProbe)) gpuProbe.dispose();
const devices = wanted.filter((d) => d !== "webgpu" || noGpu === null || process.env.CI === "true");
if (noGpu !== null && process.env.CI !== "true") test("train goldens on webgpu", { skip: `skipped: no WebGPU adapter (${noGpu})` }, () => {});

async function loadState(dir: string, device: "reference" | "wasm" | "webgpu") {
  const src = dirSource(dir);
  const config = parseConfig(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")), "config.json");
  const { tensors, file } = await loadCheckpoint(src);
  const backend = await createBackend(device, { threads: device === "wasm" ? 2 : undefined });
  return { state: await createModelState(backend, tensors, config, file, "f32"), tensors, file };
}

/** The goldens' per-tensor rule for gradients: |got − want| ≤ 2e-5·max|want| + 1e-9. */
function checkGrad(got: Float32Array, want: Float32Array, what: string): number {
  let m = 0;
  for (const v of want) m = Math.max(m, Math.abs(v));
  return assertClose(got, want, what, 2e-5 * m + 1e-9, 0);
}

/** A trainable tensor's values in peft layout (lora_B as [out, r]). */
async function peftValue(p: Param, t: Tensor): Promise<Float32Array> {
  const v = await t.data();
  if (!p.transposed) return v;
  const [n, r] = p.transposed;
  return transpose(v, r, n);
}

for (const model of MODELS) {
  const dir = join(FIX ?? "", model), tdir = join(dir, "train");
  const g = FIX ? readJson(join(tdir, "golden.json")) : { runs: [] };
  for (const device of devices) {
    // Every run with the whole step on one tape; the run with the most trainables (every linear, random B) also with
    // per-layer recomputation, which must give the same numbers.
    for (const [run, recompute] of (g.runs as any[]).flatMap((r) => (r.name === "all_randB" ? [[r, false], [r, true]] : [[r, false]]))) {
      test(`train golden ${model} ${run.name}${recompute ? " (recompute)" : ""} on ${device}`, { skip }, async () => {
        const want = goldenArrays(tdir);
        const arr = (name: string): Float32Array => {
          const alias = run.aliases?.[name] ?? name;
          if (alias === "zeros") return new Float32Array(run.trainable_params[name.split("/").pop()!].reduce((a: number, d: number) => a * d, 1));
          return want(alias);
        };
        const value = (ref: string, param: string) => (ref === "zeros" ? new Float32Array(run.trainable_params[param].reduce((a: number, d: number) => a * d, 1)) : want(ref));
        const init = new Map(Object.entries(run.init as Record<string, string>).map(([p, ref]) => [p, value(ref, p)]));
        const { state, tensors, file } = await loadState(dir, device);
        const tok = DnaTokenizer.fromJSON(readFileSync(join(dir, "tokenizer.json"), "utf8"));
        const ids = (g.batch.texts as string[]).map((t) => tok.encode(t).ids);
        ids.forEach((row, i) => assert.deepEqual(row, g.batch.input_ids[i].slice(0, g.batch.n_tokens[i])));
        const batch = packBatch(ids), labels = g.batch.labels as number[];
        const trainer = new LoraTrainer(state, { r: 8, alpha: 16, targets: { list: run.target_modules }, init, recompute }, tensors, file);
        try {
          assert.deepEqual(trainer.params.map((p) => p.name).sort(), Object.keys(run.trainable_params).sort());
          const tol = { atol: 1e-4, rtol: 1e-4 };
          // Step 0: loss, logits, every gradient, the activation gradients.
          const g0 = await trainer.gradients(batch, labels, { activations: true });
          assertClose([g0.loss], [run.losses[0]], "loss step 0", tol.atol, tol.rtol);
          assertClose(g0.logits, run.logits[0].flat(), "logits step 0", tol.atol, tol.rtol);
          let worstGrad = 0;
          for (const [p, t] of g0.grads) worstGrad = Math.max(worstGrad, checkGrad(await peftValue(p, t), arr(`${run.name}/grad_step0/${p.name}`), `grad_step0 ${p.name}`));
          for (const [k, ref] of Object.entries(run.activation_grads_step0 as Record<string, string>)) {
            const t = g0.activations!.get(k);
            assert.ok(t, `activation gradient ${k} computed`);
            worstGrad = Math.max(worstGrad, checkGrad(await t.data(), ref === "zeros" ? new Float32Array(t.size) : want(ref), `activation grad ${k}`));
            t.dispose();
          }
          // Our own steps: 1, then the protocol (overwrite the Adam-sensitive elements with after_step1), then 2 and 3.
          const opt = { lr: 1e-3, weightDecay: run.weight_decay, maxGradNorm: null };
          const norm0 = await trainer.apply(g0.grads, opt);
          assertClose([norm0], [run.grad_global_norm[0]], "grad global norm 0", tol.atol, tol.rtol);
          const sensitive = (run.adam_sensitive ?? {}) as Record<string, number[]>;
          const checkParams = async (kind: string, atol: number) => {
            let worst = 0;
            for (const p of trainer.params) {
              const got = await peftValue(p, p.t), w = arr(`${run.name}/${kind}/${p.name}`), skipAt = new Set(sensitive[p.name] ?? []);
              const keep = (x: ArrayLike<number>) => Array.from(x).filter((_, i) => !skipAt.has(i));
              worst = Math.max(worst, assertClose(keep(got), keep(w), `${kind} ${p.name}`, atol, 1e-5));
              for (const i of skipAt) assert.ok(Math.abs(got[i] - w[i]) <= 6 * opt.lr, `${kind} ${p.name}[${i}] (Adam-sensitive) within 6·lr`);
            }
            return worst;
          };
          const e1 = await checkParams("after_step1", 2e-6);
          for (const [name, at] of Object.entries(sensitive)) await trainer.overwrite(name, at, arr(`${run.name}/after_step1/${name}`));
          for (const step of [1, 2]) {
            const gs = await trainer.gradients(batch, labels);
            assertClose([gs.loss], [run.losses[step]], `loss step ${step}`, tol.atol, tol.rtol);
            assertClose(gs.logits, run.logits[step].flat(), `logits step ${step}`, tol.atol, tol.rtol);
            const n = await trainer.apply(gs.grads, opt);
            assertClose([n], [run.grad_global_norm[step]], `grad global norm ${step}`, tol.atol, tol.rtol);
          }
          const e3 = await checkParams("after_step3", 4e-6);
          const z3 = await trainer.logits(batch);
          assertClose(z3, run.logits[3].flat(), "logits after step 3 (inference path)", tol.atol, tol.rtol);
          console.log(`# ${model} ${run.name}${recompute ? " (recompute)" : ""} on ${device}: grads max |err| ${worstGrad.toExponential(2)}, after step 1 ${e1.toExponential(2)}, after step 3 ${e3.toExponential(2)}`);
        } finally {
          trainer.dispose();
          disposeModelState(state as ModelState);
        }
      });
    }
  }
}

test("AdamW alone: the stored init and grad_step0 give after_step1 within 5e-8 (no exceptions)", { skip }, async () => {
  const tdir = join(FIX!, "tiny-softmax1-cls", "train"), g = readJson(join(tdir, "golden.json")), want = goldenArrays(tdir);
  for (const device of devices) {
    const { state, tensors, file } = await loadState(join(FIX!, "tiny-softmax1-cls"), device);
    try {
      for (const run of g.runs as any[]) {
        const size = (p: string) => run.trainable_params[p].reduce((a: number, d: number) => a * d, 1);
        const get = (name: string, p: string) => { const a = run.aliases?.[name] ?? name; return a === "zeros" ? new Float32Array(size(p)) : want(a); };
        const init = new Map(Object.entries(run.init as Record<string, string>).map(([p, ref]) => [p, ref === "zeros" ? new Float32Array(size(p)) : want(ref)]));
        const trainer = new LoraTrainer(state, { r: 8, alpha: 16, targets: { list: run.target_modules }, init }, tensors, file);
        try {
          const grads = new Map(trainer.params.map((p) => {
            const v = get(`${run.name}/grad_step0/${p.name}`, p.name);
            if (!p.transposed) return [p, Tensor.from(state.backend, v, p.t.shape)] as const;
            const [n, r] = p.transposed;
            return [p, Tensor.from(state.backend, transpose(v, n, r), p.t.shape)] as const;
          }));
          await trainer.apply(new Map(grads), { lr: 1e-3, weightDecay: run.weight_decay, maxGradNorm: null });
          for (const p of trainer.params) assertClose(await peftValue(p, p.t), get(`${run.name}/after_step1/${p.name}`, p.name), `${run.name} AdamW alone ${p.name} on ${device}`, 5e-8, 0);
        } finally { trainer.dispose(); }
      }
    } finally { disposeModelState(state); }
  }
});
