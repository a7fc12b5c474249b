// LoRA rows of the bench (DNABERT-2-117M shape, 8×128): the base encoder, unmerged r = 8 adapters on Wqkv (the GERM
// recipe) and on every linear, a batch mixing 4 adapters (2 sequences each), and the adapter merged into the weights.
import type { Backend } from "../src/contract/backend.js";
import { Tensor } from "../src/tensor/tensor.js";
import { Weight } from "../src/tensor/weight.js";
import { encode } from "../src/model/encoder.js";
import { SeqIndex } from "../src/contract/seq.js";
import type { ModelState } from "../src/model/state.js";
import type { LoraDelta, LoraSpan } from "../src/model/project.js";
import { addLowRank } from "../src/lora/registry.js";
import { tokenIds, weight, H, I } from "./model-117m.js";

const SHAPES: Record<string, [out: number, inF: number]> = { qkv: [3 * H, H], attnOut: [H, H], gated: [2 * I, H], wo: [H, I] };
const R = 8, SCALE = 2;

export interface LoraRow { name: string; tokensPerS: number; baseTokensPerS: number }

/** Random adapter deltas (peft's init scale for A, B ~ ±0.05) on `modules` of every layer, keyed as the bench model names them. */
function adapter(b: Backend, modules: string[], tag: string): { deltas: Map<string, LoraDelta>; host: Map<string, { a: Float32Array; bt: Float32Array }> } {
  const deltas = new Map<string, LoraDelta>(), host = new Map<string, { a: Float32Array; bt: Float32Array }>();
  for (const m of modules) {
    const [out, inF] = SHAPES[m];
    const a = weight(`${tag}.${m}.A`, R * inF, 1 / Math.sqrt(inF)), bt = weight(`${tag}.${m}.Bt`, R * out, 0.05);
    host.set(m, { a, bt });
    deltas.set(m, { a: Tensor.from(b, a, [R, inF]), bt: Tensor.from(b, bt, [R, out]), scale: SCALE, r: R });
  }
  return { deltas, host };
}

const free = (d: Map<string, LoraDelta>) => d.forEach((x) => { x.a.dispose(); x.bt.dispose(); });

/**
 * The bench model's layers all share module names ("qkv", …), so one delta map serves every layer: the same work
 * as 12 distinct adapters' per-layer tensors (the GEMM shapes are what cost).
 */
export async function loraRows(b: Backend, model: ModelState, interleave: (reps: number, a: () => Promise<void>, c?: () => Promise<void>) => Promise<[number, number | undefined]>,
  reps: number, batch = 8, tokens = 128): Promise<LoraRow[]> {
  const ids = tokenIds(batch, tokens), seqs = SeqIndex.of(Array(batch).fill(tokens)), n = batch * tokens;
  const run = async (lora?: LoraSpan[]) => { const x = await encode(model, { ids, seqs }, { lora }); await x.data(); x.dispose(); };
  const wqkv = adapter(b, ["qkv"], "lora0"), all = adapter(b, Object.keys(SHAPES), "loraAll");
  const four = [wqkv, adapter(b, ["qkv"], "lora1"), adapter(b, ["qkv"], "lora2"), adapter(b, ["qkv"], "lora3")];
  const rows: LoraRow[] = [];
  const row = async (name: string, lora: LoraSpan[]) => {
    const [tb, tl] = await interleave(reps, () => run(), () => run(lora));
    rows.push({ name, tokensPerS: n / tl!, baseTokensPerS: n / tb });
  };
  await row("unmerged r 8 on Wqkv", [{ deltas: wqkv.deltas, start: 0, count: n }]);
  await row("unmerged r 8 on every linear", [{ deltas: all.deltas, start: 0, count: n }]);
  const per = n / four.length;
  await row("4 adapters mixed in the batch (r 8, Wqkv)", four.map((a, i) => ({ deltas: a.deltas, start: i * per, count: per })));
  // Merged: Wqkv = W + s·B·A in every layer (weights rebuilt from the bench seeds), then the plain base forward.
  const [out, inF] = SHAPES.qkv, h = wqkv.host.get("qkv")!;
  const before = model.weights.layers.map((l) => l.qkv.w);
  const [tBase] = await interleave(reps, () => run());
  model.weights.layers.forEach((l, j) => {
    const w = weight(`l${j}.qkvW`, out * inF, 1 / Math.sqrt(H));
    addLowRank(w, { a: h.a, bt: h.bt, scale: SCALE, r: R }, out, inF);
    l.qkv.w = Weight.from(b, w, [out, inF], model.format);
  });
  const [tMerged] = await interleave(reps, () => run());
  rows.push({ name: "merged (Wqkv)", tokensPerS: n / tMerged, baseTokensPerS: n / tBase });
  model.weights.layers.forEach((l, j) => { l.qkv.w.dispose(); l.qkv.w = before[j]; });
  [wqkv, all, ...four.slice(1)].forEach((a) => free(a.deltas));
  return rows;
}
