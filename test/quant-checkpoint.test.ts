// Quantized checkpoints: save() writes q8/q4 weights as stored (I8/U8 + `<name>_scale`, scheme in __metadata__),
// fromPretrained reloads them without re-quantizing and gives bit-identical outputs; damaged files are typed errors.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { GermModel } from "../src/pipeline/germ-model.js";
import type { ModelSource } from "../src/io/checkpoint.js";
import { readSafetensors, writeSafetensors } from "../src/io/safetensors.js";
import { FormatError, InputError, MissingTensorError } from "../src/errors.js";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";

const root = fixturesDir();
const skip = root ? false : NO_FIXTURES;
const CLS = root ? join(root, "tiny-softmax1-cls") : "";
const tmp = mkdtempSync(join(tmpdir(), "germ-quant-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const TEXTS = ["ACGTAGCATCGGATCTATCTATCGACACTTGG", "TTGACAGGCTAGCTAGGATCGATCGAAATTTCCCGGG"];

/** A saved quantized directory, in memory, with its model.safetensors rewritten by `edit`. */
function edited(dir: string, edit: (t: Map<string, any>, meta: Record<string, string>) => void): ModelSource {
  const files = new Map<string, Uint8Array>();
  for (const f of ["config.json", "tokenizer.json", "model.safetensors"]) files.set(f, new Uint8Array(readFileSync(join(dir, f))));
  const { tensors, metadata } = readSafetensors(files.get("model.safetensors")!, "model.safetensors");
  const out = new Map<string, any>();
  for (const [k, t] of tensors) out.set(k, { dtype: t.dtype, shape: t.shape, data: t.bytes.slice() });
  const meta = { ...metadata };
  edit(out, meta);
  files.set("model.safetensors", writeSafetensors(out, meta));
  return { location: `memory:${dir}`, get: async (f) => files.get(f) ?? null };
}

for (const dtype of ["q8", "q4"] as const) {
  test(`${dtype}: save() then fromPretrained reloads it as stored, bit-identical, in fewer bytes`, { skip }, async () => {
    const direct = await GermModel.fromPretrained(CLS, { device: "reference", dtype });
    const dir = join(tmp, dtype);
    try {
      await direct.save(dir);
      const reloaded = await GermModel.fromPretrained(dir, { device: "reference" });
      try {
        assert.equal(reloaded.dtype, dtype, "the checkpoint says its format; no dtype needed");
        assert.deepEqual((await reloaded.forward(TEXTS)).lastHiddenState, (await direct.forward(TEXTS)).lastHiddenState);
        assert.deepEqual((await reloaded.classify(TEXTS)).map((c) => c.logits), (await direct.classify(TEXTS)).map((c) => c.logits));
      } finally { reloaded.dispose(); }
      const { tensors, metadata } = readSafetensors(new Uint8Array(readFileSync(join(dir, "model.safetensors"))), "saved");
      assert.equal(metadata["germ.weight_format"], dtype);
      assert.equal(tensors.get("bert.encoder.layer.0.mlp.wo.weight")!.dtype, dtype === "q8" ? "I8" : "U8");
      assert.equal(tensors.get("bert.encoder.layer.0.mlp.wo.weight_scale")!.dtype, "F32");
      const size = statSync(join(dir, "model.safetensors")).size, f32 = statSync(join(CLS, "model.safetensors")).size;
      console.log(`# ${dtype}: model.safetensors ${size} bytes (f32 ${f32})`);
      assert.ok(size < f32);
      await assert.rejects(GermModel.fromPretrained(dir, { device: "reference", dtype: "f32" }), (e: Error) => e instanceof InputError && /holds q\d weights/.test(e.message));
    } finally { direct.dispose(); }
  });
}

test("damaged quantized checkpoints: typed errors naming the tensor or the metadata key", { skip }, async () => {
  const dir = join(tmp, "q8");
  const m = await GermModel.fromPretrained(CLS, { device: "reference", dtype: "q8" });
  try { await m.save(dir); } finally { m.dispose(); }
  const W = "bert.encoder.layer.1.attention.self.Wqkv.weight";
  const load = (src: ModelSource) => GermModel.fromPretrained(src, { device: "reference" });
  await assert.rejects(load(edited(dir, (t) => { new Float32Array(t.get(`${W}_scale`).data.buffer)[3] = NaN; })),
    (e: Error) => e instanceof FormatError && e.message.includes(`"${W}_scale"[3] = NaN`));
  await assert.rejects(load(edited(dir, (t) => { const s = t.get(`${W}_scale`); t.set(`${W}_scale`, { ...s, shape: [s.shape[0] - 1], data: s.data.subarray(0, s.data.byteLength - 4) }); })),
    (e: Error) => e instanceof FormatError && e.message.includes(`"${W}_scale"`) && /needs \d+ F32 scales/.test(e.message));
  await assert.rejects(load(edited(dir, (t) => { t.delete(`${W}_scale`); })), (e: Error) => e instanceof MissingTensorError && e.message.includes(`${W}_scale`));
  await assert.rejects(load(edited(dir, (_t, meta) => { meta["germ.weight_format"] = "q3"; })),
    (e: Error) => e instanceof FormatError && /germ\.weight_format" = "q3"/.test(e.message));
  await assert.rejects(load(edited(dir, (t) => { const w = t.get(W); t.set(W, { ...w, dtype: "U8" }); })),
    (e: Error) => e instanceof FormatError && e.message.includes(`"${W}" is U8`));
});
