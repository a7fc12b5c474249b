// Fine-tuning bench: seconds per training step at DNABERT-2-117M shape (random weights as a BertForSequenceClassification
// checkpoint, loaded by the real loader), batch × 128 tokens, LoRA r 8 on Wqkv, on Wasm; beside it the forward pass
// of the same batch, peak RSS, and the projected minutes for one epoch of 10 000 sequences.
// Run: node --expose-gc build/bench/train.bench.js [--threads 2] [--batch 16] [--layers 12] [--steps 2] [--recompute]
import { parseArgs } from "node:util";
import { createBackend } from "../src/backend/create.js";
import { parseConfig } from "../src/model/config.js";
import { createModelState, disposeModelState } from "../src/model/state.js";
import { encode } from "../src/model/encoder.js";
import { SeqIndex } from "../src/contract/seq.js";
import type { TensorMap } from "../src/io/raw-tensor.js";
import { LoraTrainer } from "../src/train/trainer.js";
import { tokenIds, weight, H, I, V } from "./model-117m.js";
import { peakRssMB } from "./peak-rss.js";

const { values } = parseArgs({ options: {
  threads: { type: "string", default: "2" }, batch: { type: "string", default: "16" }, layers: { type: "string", default: "12" }, steps: { type: "string", default: "2" },
  recompute: { type: "boolean", default: false },
} });
const threads = Number(values.threads), batch = Number(values.batch), layers = Number(values.layers), steps = Number(values.steps), tokens = 128;

/** The bench encoder's seeds under DNABERT-2's checkpoint names, plus a pooler and a 2-label classifier. */
function checkpoint(): TensorMap {
  const m: TensorMap = new Map();
  const put = (name: string, shape: number[], scale: number, offset = 0) => {
    const v = weight(name, shape.reduce((a, b) => a * b, 1), scale, offset);
    m.set(name, { dtype: "F32", shape, bytes: new Uint8Array(v.buffer) });
  };
  put("bert.embeddings.word_embeddings.weight", [V, H], 1); put("bert.embeddings.token_type_embeddings.weight", [2, H], 0.1);
  put("bert.embeddings.LayerNorm.weight", [H], 0.1, 1); put("bert.embeddings.LayerNorm.bias", [H], 0.02);
  for (let l = 0; l < layers; l++) {
    const p = `bert.encoder.layer.${l}.`;
    put(`${p}attention.self.Wqkv.weight`, [3 * H, H], 1 / Math.sqrt(H)); put(`${p}attention.self.Wqkv.bias`, [3 * H], 0.02);
    put(`${p}attention.output.dense.weight`, [H, H], 1 / Math.sqrt(H)); put(`${p}attention.output.dense.bias`, [H], 0.02);
    put(`${p}attention.output.LayerNorm.weight`, [H], 0.1, 1); put(`${p}attention.output.LayerNorm.bias`, [H], 0.02);
    put(`${p}mlp.gated_layers.weight`, [2 * I, H], 1 / Math.sqrt(H));
    put(`${p}mlp.wo.weight`, [H, I], 1 / Math.sqrt(I)); put(`${p}mlp.wo.bias`, [H], 0.02);
    put(`${p}mlp.layernorm.weight`, [H], 0.1, 1); put(`${p}mlp.layernorm.bias`, [H], 0.02);
  }
  put("bert.pooler.dense.weight", [H, H], 1 / Math.sqrt(H)); put("bert.pooler.dense.bias", [H], 0.02);
  put("classifier.weight", [2, H], 1 / Math.sqrt(H)); put("classifier.bias", [2], 0.02);
  return m;
}

const b = await createBackend("wasm", { threads });
const tensors = checkpoint();
const config = { ...parseConfig({ num_hidden_layers: layers, num_labels: 2 }), attnSoftmax: "softmax1" as const };
const state = await createModelState(b, tensors, config, "bench", "f32");
const trainer = new LoraTrainer(state, { r: 8, alpha: 16, targets: { list: ["Wqkv"] }, recompute: values.recompute }, tensors, "bench");
const ids = tokenIds(batch, tokens), seqs = SeqIndex.of(Array(batch).fill(tokens)), packed = { ids, seqs };
const labels = Array.from({ length: batch }, (_, i) => i % 2);
const time = async (f: () => Promise<void>) => { const t0 = performance.now(); await f(); return (performance.now() - t0) / 1000; };
const forward = async () => { const x = await encode(state, packed); await x.data(); x.dispose(); };
await forward();
const tf = Math.min(await time(forward), await time(forward));
const ts: number[] = [];
for (let s = 0; s < steps; s++) {
  ts.push(await time(async () => { const g = await trainer.gradients(packed, labels); await trainer.apply(g.grads, { lr: 1e-4, weightDecay: 0.01, maxGradNorm: 1 }); }));
}
const step = Math.min(...ts.slice(steps > 1 ? 1 : 0));
const rss = peakRssMB();
console.log(`| Wasm ${b.caps.description} | ${batch}×${tokens}, ${layers} layers, LoRA r 8 Wqkv${values.recompute ? ", recompute" : ""} | forward ${tf.toFixed(2)} s | step ${step.toFixed(2)} s (${(step / tf).toFixed(2)}× forward) | ${(batch * tokens / step).toFixed(0)} tokens/s | peak RSS ${rss.toFixed(0)} MB | 10 000 sequences: ${((10000 / batch) * step / 60).toFixed(0)} min/epoch |`);
trainer.dispose();
disposeModelState(state);
