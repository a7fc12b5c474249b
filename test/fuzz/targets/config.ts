// Fuzz target: config.json → parseConfig, read as GermModel reads it (bytes, JSON.parse, parseConfig). Mutations:
// the keys the model reads (dimensions, eps, softmax, labels, architectures) set to wrong types, boundary, huge,
// negative or non-finite (1e999) numbers, long strings, deep nesting, odd id2label keys; then raw byte edits.
// Oracle: what parseConfig accepts is what the file says: every dimension the file gives (non-null) is used as
// given and is a positive integer ≤ 2^20, eps is finite, hidden % heads = 0, the labels are num_labels (or
// id2label's) many, strings are bounded, id2label's canonical entries land at their index.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FormatError } from "../../../src/errors.js";
import { DEFAULT_CONFIG, parseConfig } from "../../../src/model/config.js";
import { fixturesDir } from "../../helpers/fixtures.js";
import { JsonDoc, mutateJson, type Json } from "../json-mutate.js";
import { mutateBytes, type Rand } from "../rand.js";
import { SilentWrong, type Target } from "../target.js";

const seeds: Json[] = [{}, { ...DEFAULT_CONFIG }];
const KEYS = ["hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size", "type_vocab_size",
  "layer_norm_eps", "attn_softmax", "hidden_act", "architectures", "id2label", "num_labels", "label2id"];
const DIMS = { hidden_size: "hiddenSize", num_hidden_layers: "numHiddenLayers", num_attention_heads: "numAttentionHeads",
  intermediate_size: "intermediateSize", vocab_size: "vocabSize", type_vocab_size: "typeVocabSize" } as const;

function make(r: Rand): { data: Uint8Array; what: string[] } {
  const doc = new JsonDoc(r.pick(seeds));
  const what: string[] = [];
  for (let k = r.range(1, 3); k > 0; k--) {
    const root = doc.value as Record<string, Json>;
    if (typeof root === "object" && root !== null && !Array.isArray(root) && r.chance(0.8)) {
      const key = r.pick(KEYS);
      if (!(key in root) || r.chance(0.2)) doc.value = { ...root, [key]: key === "id2label" ? { 0: "a", 1: "b" } : 1 };
      if (key === "id2label" && r.chance(0.4)) {
        // Keys that Number() reads as an index: "01", "1.0", " 1", "", "1e0", "-0", "0x1".
        const odd = r.pick(["01", "1.0", " 1", "", "1e0", "-0", "0x1", "__proto__", String(2 ** 20), "-1"]);
        doc.value = { ...(doc.value as Record<string, Json>), id2label: { ...(root.id2label as Record<string, Json>), [odd]: r.pick(["x", 5, null, [[]], { a: 1 }]) } };
        what.push(`id2label key ${JSON.stringify(odd)}`);
      } else what.push(mutateJson(r, doc, [key]));
    } else what.push(mutateJson(r, doc));
  }
  let bytes: Uint8Array = new TextEncoder().encode(doc.serialize());
  if (r.chance(0.15)) { const m = mutateBytes(r, bytes); bytes = m.bytes; what.push(m.what); }
  return { data: bytes, what };
}

export const configTarget: Target = {
  name: "config",
  async setup() {
    const dir = fixturesDir();
    if (dir) for (const m of ["tiny-softmax1", "tiny-softmax", "tiny-softmax1-cls"]) seeds.push(JSON.parse(readFileSync(join(dir, m, "config.json"), "utf8")) as Json);
  },
  make,
  check(input) {
    let json: unknown;
    // As GermModel.fromPretrained reads it: invalid JSON is a FormatError naming the file.
    try { json = JSON.parse(new TextDecoder().decode(input.data as Uint8Array)); } catch (e) { throw new FormatError(`config.json: invalid JSON (${(e as Error).message})`); }
    const cfg = parseConfig(json, "config.json");
    const c = json as Record<string, unknown>;
    for (const [k, f] of Object.entries(DIMS)) {
      const v = cfg[f];
      if (!Number.isInteger(v) || v < 1 || v > 2 ** 20) throw new SilentWrong(`${k} accepted as ${v}`);
      if (c[k] != null && c[k] !== v) throw new SilentWrong(`${k} in the file is ${String(c[k]).slice(0, 40)}, the config says ${v}`);
    }
    if (cfg.hiddenSize % cfg.numAttentionHeads) throw new SilentWrong("hidden_size not divisible by num_attention_heads");
    if (!Number.isFinite(cfg.layerNormEps) || cfg.layerNormEps < 0) throw new SilentWrong(`layer_norm_eps accepted as ${cfg.layerNormEps}`);
    if (c.layer_norm_eps != null && c.layer_norm_eps !== cfg.layerNormEps) throw new SilentWrong("layer_norm_eps differs from the file");
    if (cfg.attnSoftmax !== "vanilla" && cfg.attnSoftmax !== "softmax1") throw new SilentWrong("attn_softmax");
    if (typeof cfg.hiddenAct !== "string" || cfg.hiddenAct.length > 64) throw new SilentWrong("hidden_act unbounded");
    if (typeof c.hidden_act === "string" && c.hidden_act.length <= 64 && c.hidden_act !== cfg.hiddenAct) throw new SilentWrong("hidden_act differs from the file");
    if (!cfg.architectures.every((a) => typeof a === "string" && a.length <= 200) || cfg.architectures.length > 64) throw new SilentWrong("architectures unbounded");
    const n = cfg.labels.length;
    if (n < 1 || n > 2 ** 20 || !cfg.labels.every((l) => typeof l === "string" && l.length <= 200)) throw new SilentWrong(`labels: ${n}, or unbounded`);
    if (c.num_labels != null && c.num_labels !== n) throw new SilentWrong(`num_labels ${String(c.num_labels).slice(0, 40)} in the file, ${n} labels`);
    const id2label = c.id2label;
    if (id2label && typeof id2label === "object" && !Array.isArray(id2label)) {
      for (const [k, v] of Object.entries(id2label)) {
        if (!/^(0|[1-9]\d*)$/.test(k)) throw new SilentWrong(`id2label key ${JSON.stringify(k.slice(0, 20))} accepted`);
        // Label names are strings; a number is its decimal form. Anything else must have been refused.
        if (typeof v !== "string" && typeof v !== "number") throw new SilentWrong(`id2label[${k}] is a ${v === null ? "null" : typeof v}, accepted as ${JSON.stringify(cfg.labels[Number(k)]?.slice(0, 40))}`);
        if (cfg.labels[Number(k)] !== String(v).slice(0, 200)) throw new SilentWrong(`id2label[${k}] not at its index`);
      }
    }
  },
  bytes: (input) => input.data as Uint8Array,
};
