// Reads a PEFT adapter directory (local, URL or hub, through the same ModelSource as models): adapter_config.json,
// adapter_model.safetensors or adapter_model.bin (the restricted unpickler: no code runs), and config.json's labels.
import { FormatError } from "../errors.js";
import type { ModelSource } from "../io/checkpoint.js";
import { readSafetensors } from "../io/safetensors.js";
import { readTorchBin } from "../io/torch-bin.js";
import { parseLabels } from "../model/config.js";
import { parseAdapterConfig } from "./config.js";
import type { AdapterFiles } from "./adapter.js";

export async function readAdapterFiles(src: ModelSource): Promise<AdapterFiles> {
  const at = (f: string) => (src.location.endsWith("/") ? src.location + f : `${src.location}/${f}`);
  const cfgBytes = await src.get("adapter_config.json");
  if (!cfgBytes) throw new FormatError(`${src.location}: adapter_config.json not found (is this a PEFT adapter directory?)`);
  const configJson = json(cfgBytes, at("adapter_config.json")) as Record<string, unknown>;
  const config = parseAdapterConfig(configJson, at("adapter_config.json"));
  let file = "adapter_model.safetensors";
  let bytes = await src.get(file);
  let tensors;
  if (bytes) tensors = readSafetensors(bytes, at(file)).tensors;
  else {
    file = "adapter_model.bin";
    bytes = await src.get(file);
    if (!bytes) throw new FormatError(`${src.location}: no adapter weights; looked for adapter_model.safetensors, adapter_model.bin`);
    tensors = readTorchBin(bytes, at(file));
  }
  // Optional: a classifier adapter may ship its label names (a missing config.json is not an error).
  const modelCfg = await src.get("config.json");
  let labels: string[] | null = null;
  if (modelCfg) {
    const c = json(modelCfg, at("config.json"));
    if (c && typeof c === "object" && ("id2label" in c || "num_labels" in c)) labels = parseLabels(c as Record<string, unknown>, at("config.json"));
  }
  return { config, configJson, tensors, file: at(file), labels };
}

function json(bytes: Uint8Array, file: string): unknown {
  try { return JSON.parse(new TextDecoder().decode(bytes)); } catch (e) {
    throw new FormatError(`${file}: invalid JSON (${(e as Error).message})`);
  }
}
