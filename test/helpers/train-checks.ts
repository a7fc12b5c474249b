// The training golden through the public API, written once for every runtime (Node and Deno read the fixtures from
// disk, Chromium over HTTP): fineTune from the run's initial values (as an in-memory PEFT adapter) for 3 steps on the
// golden batch, then the loss of each step and the logits after the last against the goldens, and the adapter's
// files. Isomorphic: no node: imports.
import type { GermModel } from "../../src/pipeline/germ-model.js";
import type { ModelSource } from "../../src/io/checkpoint.js";
import { writeSafetensors, type TensorToWrite } from "../../src/io/safetensors.js";
import { assertClose } from "./compare.js";

/** `g`: train/golden.json; `want`: its arrays; `adapterConfig`: the run's saved adapter_config.json bytes. */
export async function checkTrainingRun(model: GermModel, g: any, want: (name: string) => Float32Array, runName: string,
  adapterConfig: Uint8Array): Promise<{ files: Map<string, Uint8Array>; worst: number }> {
  const run = g.runs.find((r: { name: string }) => r.name === runName);
  const tensors = new Map<string, TensorToWrite>();
  for (const [p, ref] of Object.entries(run.init as Record<string, string>)) {
    const shape = run.trainable_params[p] as number[];
    tensors.set(`base_model.model.${p}`, { dtype: "F32", shape, data: ref === "zeros" ? new Float32Array(shape.reduce((a, d) => a * d, 1)) : want(ref) });
  }
  const files: Record<string, Uint8Array> = { "adapter_config.json": adapterConfig, "adapter_model.safetensors": writeSafetensors(tensors) };
  const init: ModelSource = { location: "mem:init", get: async (f) => files[f] ?? null };
  const out = await model.fineTune({ texts: g.batch.texts, labels: g.batch.labels }, {
    adapter: runName, epochs: 3, batchSize: g.batch.texts.length, shuffle: false, lr: 1e-3, schedule: "constant", weightDecay: run.weight_decay,
    // The goldens were trained with dropout 0 (TRAINING.md §1), the fixture configs say 0.1: ask for none.
    maxGradNorm: null, hiddenDropout: 0, lora: { r: 8, alpha: 16, targetModules: run.target_modules, init },
  });
  let worst = 0;
  out.steps.forEach((s, i) => { worst = Math.max(worst, assertClose([s.loss], [run.losses[i]], `loss of step ${i}`, 1e-4, 1e-4)); });
  const logits = await model.classify(g.batch.texts, { adapter: runName });
  logits.forEach((c, i) => { worst = Math.max(worst, assertClose(c.logits, run.logits[3][i], `logits after 3 steps ${i}`, 1e-4, 1e-4)); });
  return { files: await model.adapterFiles(runName), worst };
}
