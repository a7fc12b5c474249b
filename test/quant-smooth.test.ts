// model.quantize() and SmoothQuant: the folding is exact in f32 (a smoothed float model equals the original), the
// q8 model quantize() makes equals fromPretrained({ dtype: "q8" }) bit for bit, SmoothQuant models stay within the
// q8 bounds against the goldens (its effect measured and printed), save() keeps α, and bad options are refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GermModel } from "../src/pipeline/germ-model.js";
import { createBackend } from "../src/backend/create.js";
import { loadCheckpoint } from "../src/io/checkpoint.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { parseConfig } from "../src/model/config.js";
import { createModelState, disposeModelState } from "../src/model/state.js";
import { encode, packBatch } from "../src/model/encoder.js";
import { DnaTokenizer } from "../src/tokenizer/tokenizer.js";
import { calibrate } from "../src/quant/calibrate.js";
import { smoothCheckpoint } from "../src/quant/smooth.js";
import { InputError } from "../src/errors.js";
import { assertClose, cosine } from "./helpers/compare.js";
import { fixturesDir, NO_FIXTURES, readJson } from "./helpers/fixtures.js";
import { GOLDEN_MODELS } from "./helpers/golden-checks.js";
import { dirSource, goldenArrays } from "./helpers/golden.js";

const root = fixturesDir();
const skip = root ? false : NO_FIXTURES;

test("SmoothQuant's folding is exact in f32: the smoothed float checkpoint computes the same function", { skip }, async () => {
  for (const name of ["tiny-softmax1", "tiny-softmax-cls"]) {
    const dir = join(root!, name), g = readJson(join(dir, "golden.json"));
    const config = parseConfig(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")), "config.json");
    const tok = DnaTokenizer.fromJSON(readFileSync(join(dir, "tokenizer.json"), "utf8"));
    const { tensors, file } = await loadCheckpoint(dirSource(dir, ["pytorch_model.bin"]));
    const b = await createBackend("reference");
    const batch = packBatch((g.sequences as any[]).map((s) => tok.encode(s.text).ids));
    const base = await createModelState(b, tensors, config, file, "f32");
    const ranges = await calibrate(base, [batch]);
    assert.ok(ranges.woIn.every((r) => r.some((v) => v > 0)), "calibration saw activations");
    const smooth = await createModelState(b, smoothCheckpoint(tensors, config, ranges, 0.5), config, file, "f32");
    try {
      const want = await (await encode(base, batch)).data(), got = await (await encode(smooth, batch)).data();
      const e = assertClose(got, want, `${name}: smoothed vs original hidden states`, 1e-4, 1e-4);
      console.log(`# ${name}: SmoothQuant-folded f32 model vs original: max |Δ| ${e.toExponential(2)}`);
    } finally { disposeModelState(base); disposeModelState(smooth); }
  }
});

test("quantize(): q8 and q4 equal fromPretrained({ dtype }) bit for bit; SmoothQuant q8 within the q8 bounds (measured)", { skip }, async () => {
  for (const name of GOLDEN_MODELS) {
    const dir = join(root!, name), g = readJson(join(dir, "golden.json")), want = goldenArrays(dir);
    const seqs = (g.sequences as any[]).filter((s) => s.last_hidden_state_stored), texts = seqs.map((s) => s.text as string);
    const f32 = await GermModel.fromPretrained(dirSource(dir, ["pytorch_model.bin"]), { device: "wasm" });
    const direct = await GermModel.fromPretrained(dirSource(dir, ["pytorch_model.bin"]), { device: "wasm", dtype: "q8" });
    const q8 = await f32.quantize({ weights: "int8", activations: "int8" });
    const q4 = await f32.quantize({ weights: "int4" });
    const sq = await f32.quantize({ weights: "int8", calibration: (g.sequences as any[]).map((s) => s.text), smoothQuant: 0.5 });
    try {
      assert.deepEqual([q8.dtype, q4.dtype, sq.dtype], ["q8", "q4", "q8"]);
      const h = async (m: GermModel) => (await m.forward(texts)).lastHiddenState;
      const [hd, h8, hs] = [await h(direct), await h(q8), await h(sq)];
      hd.forEach((v, i) => assert.deepEqual([...h8[i]], [...v], `${name}: quantize() q8 = dtype q8 (${i})`));
      const worst = (hh: Float32Array[]) => Math.min(...seqs.map((s, i) => cosine(hh[i], want(`${s.name}/last_hidden_state`))));
      const w8 = worst(h8), ws = worst(hs);
      console.log(`# ${name}: q8 worst cosine ${w8.toFixed(5)}; with SmoothQuant α 0.5 ${ws.toFixed(5)}`);
      assert.ok(ws >= 0.999, `${name}: SmoothQuant q8 worst cosine ${ws} < 0.999`);
      if (String(g.model_class).startsWith("BertForSequenceClassification")) {
        const cls = await sq.classify(texts);
        seqs.forEach((s, i) => assertClose(cls[i].logits, want(`${s.name}/cls_logits`), `${name} SmoothQuant logits ${i}`, 0.05, 0));
      }
    } finally { [f32, direct, q8, q4, sq].forEach((m) => m.dispose()); }
  }
});

test("a SmoothQuant model saves and reloads as stored (α in __metadata__); bad quantize() options are refused", { skip }, async () => {
  const dir = join(root!, "tiny-softmax1"), g = readJson(join(dir, "golden.json"));
  const texts = (g.sequences as any[]).map((s) => s.text as string);
  const f32 = await GermModel.fromPretrained(dirSource(dir, ["pytorch_model.bin"]), { device: "wasm" });
  const out = mkdtempSync(join(tmpdir(), "germ-sq-"));
  try {
    const sq = await f32.quantize({ weights: "int8", activations: "int8", calibration: texts, smoothQuant: 0.8 });
    await sq.save(out);
    const meta = readSafetensors(new Uint8Array(readFileSync(join(out, "model.safetensors"))), "m").metadata;
    assert.equal(meta["germ.smoothquant_alpha"], "0.8");
    assert.equal(meta["germ.weight_format"], "q8");
    const again = await GermModel.fromPretrained(out, { device: "wasm" });
    const [a, b] = [(await sq.forward(texts.slice(0, 3))).lastHiddenState, (await again.forward(texts.slice(0, 3))).lastHiddenState];
    a.forEach((v, i) => assert.deepEqual([...b[i]], [...v]));
    [sq, again].forEach((m) => m.dispose());
    for (const [o, re] of [
      [{ weights: "int8", activations: "f32" }, /"int8" with activations "f32" is not a format/],
      [{ weights: "int4", activations: "int8" }, /is not a format/],
      [{ weights: "int4", groupSize: 48 }, /q4 groups are 32, 64, 128/],
      [{ weights: "int8", smoothQuant: 0.5 }, /needs calibration sequences/],
      [{ weights: "int4", smoothQuant: 0.5, calibration: texts }, /applies to int8 activations/],
      [{ weights: "int8", smoothQuant: 1.5, calibration: texts }, /must be in \(0, 1\]/],
      [{ weights: "int8", calibration: texts }, /calibration sequences are for smoothQuant .* or activationScales: "static"/],
    ] as [object, RegExp][]) {
      await assert.rejects(f32.quantize(o as never), (e: Error) => e instanceof InputError && re.test(e.message), String(re));
    }
  } finally { f32.dispose(); rmSync(out, { recursive: true, force: true }); }
});
