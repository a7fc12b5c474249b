// q4 group sizes 64 and 128: one f32 scale per 64 or 128 weights along k. The reference quantizer and dequantizer
// per group size, the per-32 scale expansion the kernels run (bit-identical values), quantize({ groupSize }) →
// save → reload as stored, typed errors for a bad group, and the accuracy vs the f32 goldens (reported).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { decodeQ4, encodeQ4, expandQ4Scales, FORMATS, Q4_GROUPS } from "../src/contract/formats.js";
import { GermModel } from "../src/pipeline/germ-model.js";
import type { ModelSource } from "../src/io/checkpoint.js";
import { readSafetensors, writeSafetensors } from "../src/io/safetensors.js";
import { FormatError, InputError } from "../src/errors.js";
import { fixturesDir, NO_FIXTURES, readJson } from "./helpers/fixtures.js";
import { goldenArrays } from "./helpers/golden.js";
import { cosine } from "./helpers/compare.js";
import { rng, uniform } from "./helpers/rng.js";

const root = fixturesDir();
const skip = root ? false : NO_FIXTURES;
const tmp = mkdtempSync(join(tmpdir(), "germ-q4g-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const TEXTS = ["ACGTAGCATCGGATCTATCTATCGACACTTGG", "TTGACAGGCTAGCTAGGATCGATCGAAATTTCCCGGG"];

test("q4 groups 32/64/128: decode(encode) is within half a step of each group's scale; expanded scales decode identically", () => {
  const r = rng(7);
  for (const [n, k] of [[3, 100], [5, 256], [2, 33], [1, 129], [4, 768]] as [number, number][]) {
    const w = uniform(r, n * k).map((v, i) => (i % 37 === 0 ? 8 * v : v)); // a few large weights per row
    for (const group of Q4_GROUPS) {
      const enc = encodeQ4(w, n, k, group), g = Math.ceil(k / group);
      assert.equal(enc.scales!.length, n * g);
      assert.equal(enc.data.byteLength, FORMATS.q4.dataBytes(n, k), "the nibble layout does not depend on the group");
      const back = decodeQ4(enc, n, k, group);
      for (let row = 0; row < n; row++) {
        for (let b = 0; b < g; b++) {
          let m = 0;
          for (let c = b * group; c < Math.min(k, (b + 1) * group); c++) m = Math.max(m, Math.abs(w[row * k + c]));
          const step = m / 7;
          for (let c = b * group; c < Math.min(k, (b + 1) * group); c++) {
            assert.ok(Math.abs(back[row * k + c] - w[row * k + c]) <= step / 2 * (1 + 1e-6) + 1e-12, `[${n}, ${k}] group ${group} row ${row} col ${c}`);
          }
        }
      }
      const expanded = FORMATS.q4.decode({ data: enc.data, scales: expandQ4Scales(enc.scales!, n, k, group) }, n, k);
      assert.deepEqual(expanded, back, `[${n}, ${k}] group ${group}: the kernels' per-32 scales give the same values`);
    }
  }
  assert.throws(() => encodeQ4(new Float32Array(4), 1, 4, 48), (e: Error) => e instanceof InputError && /q4 group size 48: expected one of 32, 64, 128/.test(e.message));
});

test("quantize({ weights: 'int4', groupSize }) saves one scale per group and reloads as stored, bit-identical, on reference and Wasm", { skip }, async () => {
  const f32 = await GermModel.fromPretrained(join(root!, "tiny-softmax1-cls"), { device: "reference" });
  try {
    await assert.rejects(f32.quantize({ weights: "int4", groupSize: 48 }), (e: Error) => e instanceof InputError && /q4 groups are 32, 64, 128/.test(e.message));
    await assert.rejects(f32.quantize({ weights: "int8", groupSize: 64 }), (e: Error) => e instanceof InputError && /only int4 weights/.test(e.message));
    for (const group of [64, 128]) {
      const q = await f32.quantize({ weights: "int4", groupSize: group });
      const dir = join(tmp, `g${group}`);
      try {
        assert.equal(q.dtype, "q4");
        await q.save(dir);
        const { tensors, metadata } = readSafetensors(new Uint8Array(readFileSync(join(dir, "model.safetensors"))), "saved");
        assert.equal(metadata["germ.q4_group"], String(group));
        const wo = tensors.get("bert.encoder.layer.0.mlp.wo.weight_scale")!, k = f32.config.intermediateSize;
        assert.deepEqual(wo.shape, [f32.config.hiddenSize, Math.ceil(k / group)]);
        for (const device of ["reference", "wasm"] as const) {
          const re = await GermModel.fromPretrained(dir, { device });
          try {
            const [a, b] = [(await re.forward(TEXTS)).lastHiddenState, (await q.forward(TEXTS)).lastHiddenState];
            if (device === "reference") assert.deepEqual(a, b);
            else a.forEach((v, i) => assert.ok(cosine(v, b[i]) > 0.999999, `wasm group ${group}: cosine ${cosine(v, b[i])}`));
          } finally { re.dispose(); }
        }
      } finally { q.dispose(); }
    }
  } finally { f32.dispose(); }
});

test("q4 checkpoints: an unknown group or scales of another group size are typed errors naming the key or tensor", { skip }, async () => {
  const f32 = await GermModel.fromPretrained(join(root!, "tiny-softmax1"), { device: "reference" });
  const dir = join(tmp, "g64-damage");
  try { const q = await f32.quantize({ weights: "int4", groupSize: 64 }); try { await q.save(dir); } finally { q.dispose(); } } finally { f32.dispose(); }
  const edited = (meta: Record<string, string>): ModelSource => {
    const files = new Map<string, Uint8Array>();
    for (const f of ["config.json", "tokenizer.json", "model.safetensors"]) files.set(f, new Uint8Array(readFileSync(join(dir, f))));
    const { tensors, metadata } = readSafetensors(files.get("model.safetensors")!, "m");
    files.set("model.safetensors", writeSafetensors(new Map([...tensors].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: t.bytes }])), { ...metadata, ...meta }));
    return { location: "mem", get: async (f) => files.get(f) ?? null };
  };
  await assert.rejects(GermModel.fromPretrained(edited({ "germ.q4_group": "48" }), { device: "reference" }), (e: Error) => e instanceof FormatError && /"germ\.q4_group" = "48"; q4 groups are 32, 64, 128/.test(e.message));
  // Group-64 scales read as group 32: every scale tensor has half the count the format needs.
  await assert.rejects(GermModel.fromPretrained(edited({ "germ.q4_group": "32" }), { device: "reference" }),
    (e: Error) => e instanceof FormatError && /_scale" is F32 \[\d+, \d+\]; q4 \(groups of 32\) weight ".*" \[\d+, \d+\] needs \d+ F32 \(or F16\) scales/.test(e.message));
});

test("q4 groups 32 / 64 / 128 vs the f32 goldens (softmax1 models; reported, the issue's threshold is for group 32)", { skip }, async () => {
  for (const name of ["tiny-softmax1", "tiny-softmax1-cls"]) {
    const dir = join(root!, name), g = readJson(join(dir, "golden.json")), want = goldenArrays(dir);
    const seqs = (g.sequences as { name: string; text: string; last_hidden_state_stored?: boolean }[]).filter((s) => s.last_hidden_state_stored);
    const f32 = await GermModel.fromPretrained(dir, { device: "reference" });
    try {
      const line: string[] = [];
      for (const group of Q4_GROUPS) {
        const q = await f32.quantize({ weights: "int4", groupSize: group });
        try {
          const { lastHiddenState } = await q.forward(seqs.map((s) => s.text));
          const cos = seqs.map((s, i) => cosine(lastHiddenState[i], want(`${s.name}/last_hidden_state`)));
          line.push(`group ${group}: worst ${Math.min(...cos).toFixed(5)} mean ${(cos.reduce((a, b) => a + b, 0) / cos.length).toFixed(5)}`);
          if (group === 32) assert.ok(Math.min(...cos) >= 0.985, `${name} q4 group 32: worst cosine ${Math.min(...cos)} < 0.985`);
        } finally { q.dispose(); }
      }
      console.log(`# q4 ${name}: ${line.join("; ")}`);
    } finally { f32.dispose(); }
  }
});
