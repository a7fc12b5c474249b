// An adapter as the files of a PEFT adapter directory (what PeftModel.save_pretrained writes, TRAINING.md §4):
// adapter_config.json and adapter_model.safetensors with base_model.model.<module>.lora_A.weight [r, in],
// lora_B.weight [out, r] and the replaced heads under their own names; config.json only for custom label names.
import { writeSafetensors, type TensorToWrite } from "../io/safetensors.js";
import type { Adapter } from "./adapter.js";
import { peftModuleName } from "./config.js";
import { transpose } from "../contract/math.js";

const PREFIX = "base_model.model.";

export async function adapterFiles(a: Adapter): Promise<Map<string, Uint8Array>> {
  const tensors = new Map<string, TensorToWrite>();
  const f32 = (data: Float32Array, shape: number[]): TensorToWrite => ({ dtype: "F32", shape, data });
  for (const [m, d] of a.deltas) {
    const full = PREFIX + peftModuleName(m, a.peft.prefixed);
    const [r, inF] = d.a.shape, out = d.bt.shape[1];
    const b = transpose(await d.bt.data(), r, out);
    tensors.set(`${full}.lora_A.weight`, f32(await d.a.data(), [r, inF])).set(`${full}.lora_B.weight`, f32(b, [out, r]));
  }
  for (const [m, h] of a.peft.heads) {
    const full = PREFIX + peftModuleName(m, a.peft.prefixed);
    tensors.set(`${full}.weight`, f32(h.w, [h.b.length, h.w.length / h.b.length])).set(`${full}.bias`, f32(h.b, [h.b.length]));
  }
  const enc = new TextEncoder();
  const files = new Map<string, Uint8Array>([
    ["adapter_config.json", enc.encode(JSON.stringify(a.peft.config, null, 2) + "\n")],
    ["adapter_model.safetensors", writeSafetensors(tensors, { format: "pt" })],
  ]);
  if (a.labels && a.labels.some((l, i) => l !== `LABEL_${i}`)) {
    const id2label = Object.fromEntries(a.labels.map((l, i) => [String(i), l]));
    const label2id = Object.fromEntries(a.labels.map((l, i) => [l, i]));
    files.set("config.json", enc.encode(JSON.stringify({ id2label, label2id, num_labels: a.labels.length }, null, 2) + "\n"));
  }
  return files;
}

/** adapter_config.json of an adapter germ-js trained: peft's LoraConfig fields (SEQ_CLS, the classifier saved). */
export function trainedAdapterConfig(o: { r: number; alpha: number; rslora: boolean; targets: readonly string[] | string; base: string }): Record<string, unknown> {
  return {
    alpha_pattern: {}, auto_mapping: null, base_model_name_or_path: o.base, bias: "none", fan_in_fan_out: false,
    inference_mode: true, init_lora_weights: true, layer_replication: null, layers_pattern: null, layers_to_transform: null,
    loftq_config: {}, lora_alpha: o.alpha, lora_dropout: 0, megatron_config: null, megatron_core: "megatron.core",
    modules_to_save: ["classifier", "score"], peft_type: "LORA", r: o.r, rank_pattern: {}, revision: null,
    target_modules: typeof o.targets === "string" ? o.targets : [...o.targets].sort(), task_type: "SEQ_CLS",
    use_dora: false, use_rslora: o.rslora,
  };
}
