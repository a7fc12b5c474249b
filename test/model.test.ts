// GermModel on the reference backend beyond the goldens: typed errors for bad checkpoints and bad input,
// loading from a local HuggingFace-style server, and batch independence.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { GermModel } from "../src/pipeline/germ-model.js";
import type { ModelState } from "../src/model/state.js";
import type { ModelSource } from "../src/io/checkpoint.js";
import { readSafetensors, writeSafetensors } from "../src/io/safetensors.js";
import { BackendError, ConfigError, FormatError, InputError, MissingTensorError } from "../src/errors.js";
import { env } from "../src/env.js";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";
import { startHub } from "./helpers/hub-server.js";

const root = fixturesDir();
const skip = root ? false : NO_FIXTURES;
const MLM = root ? join(root, "tiny-softmax1") : "";
const CLS = root ? join(root, "tiny-softmax1-cls") : "";

/** An in-memory copy of a fixture directory whose files a test can replace or drop. */
function memorySource(dir: string, edit: (files: Map<string, Uint8Array>) => void = () => {}): ModelSource {
  const files = new Map<string, Uint8Array>();
  for (const f of ["config.json", "tokenizer.json", "model.safetensors"]) files.set(f, new Uint8Array(readFileSync(join(dir, f))));
  edit(files);
  return { location: `memory:${dir}`, get: async (f) => files.get(f) ?? null };
}

function editConfig(files: Map<string, Uint8Array>, patch: Record<string, unknown>): void {
  const cfg = JSON.parse(new TextDecoder().decode(files.get("config.json")!));
  files.set("config.json", new TextEncoder().encode(JSON.stringify({ ...cfg, ...patch })));
}

function editWeights(files: Map<string, Uint8Array>, edit: (names: Map<string, any>) => void): void {
  const { tensors } = readSafetensors(files.get("model.safetensors")!, "model.safetensors");
  const out = new Map<string, any>();
  for (const [k, t] of tensors) out.set(k, { dtype: t.dtype, shape: t.shape, data: t.bytes });
  edit(out);
  files.set("model.safetensors", writeSafetensors(out));
}

test("bad input gives InputError", { skip }, async () => {
  const model = await GermModel.fromPretrained(MLM, { device: "reference" });
  try {
    await assert.rejects(model.embed([]), InputError);
    await assert.rejects(model.embed([42 as unknown as string]), /input 0 is number/);
    await assert.rejects(model.forward({ inputIds: [[1, 99999, 2]] }), /inputIds\[0\]\[1\] = 99999/);
    await assert.rejects(model.forward({ inputIds: [[]] }), InputError);
    await assert.rejects(model.embed(["ACGT"], { pooling: "median" as never }), /pooling/);
    await assert.rejects(model.classify(["ACGT"]), MissingTensorError); // an MLM checkpoint has no classifier
  } finally { model.dispose(); }
  await assert.rejects(model.embed(["ACGT"]), /disposed/);
  await assert.rejects(GermModel.fromPretrained(MLM, { device: "reference", dtype: "q3" as never }), InputError);
});

test("dtype f16: GEMM weights stored as halves (reference decodes them); Wasm refuses at load, naming what it lacks", { skip }, async () => {
  const model = await GermModel.fromPretrained(MLM, { device: "reference", dtype: "f16" });
  const exact = await GermModel.fromPretrained(MLM, { device: "reference" });
  try {
    const w = (model as unknown as { state: ModelState }).state.weights;
    assert.equal(w.layers[0].qkv.w.format, "f16");
    assert.equal(w.wordEmb.format, "f32", "the gather table stays f32");
    const [a] = await model.embed(["ACGTAGCATCGGATC"]), [b] = await exact.embed(["ACGTAGCATCGGATC"]);
    let d = 0;
    for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
    assert.ok(d > 0 && d < 1e-2, `f16 weights move the embedding by ${d} (expected ~1e-3)`);
  } finally { model.dispose(); exact.dispose(); }
  await assert.rejects(GermModel.fromPretrained(MLM, { device: "wasm", dtype: "f16" }),
    (e: Error) => e instanceof BackendError && /backend wasm cannot run this model: linear: weight format f16 is not implemented on wasm/.test(e.message));
  // "auto" passes over Wasm (it cannot run f16 weights) to a backend that can.
  const auto = await GermModel.fromPretrained(MLM, { device: "auto", dtype: "f16" });
  try { assert.notEqual(auto.backend, "wasm"); } finally { auto.dispose(); }
});

test("a classification checkpoint has no MLM head: maskedLM throws MissingTensorError naming it", { skip }, async () => {
  const model = await GermModel.fromPretrained(CLS, { device: "reference" });
  try { await assert.rejects(model.maskedLM(["ACGT"]), /cls\.predictions\.transform\.dense\.weight/); } finally { model.dispose(); }
});

test("missing encoder tensor → MissingTensorError naming it", { skip }, async () => {
  const src = memorySource(MLM, (f) => editWeights(f, (w) => w.delete("bert.encoder.layer.1.mlp.wo.bias")));
  await assert.rejects(GermModel.fromPretrained(src, { device: "reference" }), (e: Error) =>
    e instanceof MissingTensorError && /bert\.encoder\.layer\.1\.mlp\.wo\.bias/.test(e.message));
});

test("config.json that disagrees with the weights → ConfigError naming tensor and shapes", { skip }, async () => {
  await assert.rejects(GermModel.fromPretrained(memorySource(MLM, (f) => editConfig(f, { intermediate_size: 100 })), { device: "reference" }),
    (e: Error) => e instanceof ConfigError && /gated_layers\.weight" has shape \[256, 64\] but config\.json implies \[200, 64\]/.test(e.message));
  await assert.rejects(GermModel.fromPretrained(memorySource(MLM, (f) => editConfig(f, { num_attention_heads: 5 })), { device: "reference" }), /not divisible/);
  await assert.rejects(GermModel.fromPretrained(memorySource(MLM, (f) => editConfig(f, { num_hidden_layers: 1 })), { device: "reference" }), /more than num_hidden_layers/);
  await assert.rejects(GermModel.fromPretrained(memorySource(MLM, (f) => editConfig(f, { attn_softmax: "softmax2" })), { device: "reference" }), ConfigError);
  await assert.rejects(GermModel.fromPretrained(memorySource(CLS, (f) => editConfig(f, { id2label: { 0: "a", 1: "b" } })), { device: "reference" }), /3 rows but config\.json declares 2 labels/);
});

test("missing or broken files → FormatError", { skip }, async () => {
  await assert.rejects(GermModel.fromPretrained(memorySource(MLM, (f) => f.delete("config.json"))), /config\.json not found/);
  await assert.rejects(GermModel.fromPretrained(memorySource(MLM, (f) => f.set("config.json", new TextEncoder().encode("{nope")))), FormatError);
  await assert.rejects(GermModel.fromPretrained(memorySource(MLM, (f) => f.delete("model.safetensors"))), FormatError);
});

test("attnSoftmax option overrides config.json", { skip }, async () => {
  const model = await GermModel.fromPretrained(MLM, { device: "reference", attnSoftmax: "vanilla" });
  try { assert.equal(model.config.attnSoftmax, "vanilla"); assert.equal(model.config.attnSoftmaxSource, "option"); } finally { model.dispose(); }
});

test("results per text do not depend on the batch (batchSize 1 vs 3 vs all)", { skip }, async () => {
  const texts = ["ACGTAGCATCGGATCTATCTATCGACACTTGG", "A", "", "TTTTGGGGCCCCAAAA".repeat(9), "ACGTNNNNacgt"];
  const runs: Float32Array[][] = [];
  for (const batchSize of [1, 3, 16]) {
    const model = await GermModel.fromPretrained(MLM, { device: "reference", batchSize });
    try { runs.push(await model.embed(texts)); } finally { model.dispose(); }
  }
  for (const r of runs.slice(1)) r.forEach((e, i) => assert.deepEqual(e, runs[0][i]));
});

test("fromPretrained(hub id) over a local HTTP hub, then from the cache", { skip }, async () => {
  const cache = mkdtempSync(join(tmpdir(), "germ-model-cache-"));
  after(() => rmSync(cache, { recursive: true, force: true }));
  const hub = await startHub((repo, _rev, file) => (repo === "magicslabnu/tiny-germ" ? join(MLM, file) : null));
  const saved = { remoteHost: env.remoteHost, cacheDir: env.cacheDir };
  const files = new Set<string>();
  try {
    env.remoteHost = hub.url;
    env.cacheDir = cache;
    const model = await GermModel.fromPretrained("magicslabnu/tiny-germ", { device: "reference", onProgress: (p) => files.add(p.file) });
    const local = await GermModel.fromPretrained(MLM, { device: "reference" });
    try {
      assert.ok(files.has("model.safetensors") && files.has("tokenizer.json") && files.has("config.json"));
      assert.deepEqual(await model.embed(["ACGTAGCATCGG"]), await local.embed(["ACGTAGCATCGG"]));
    } finally { model.dispose(); local.dispose(); }
    await hub.close();
    const cached = await GermModel.fromPretrained("magicslabnu/tiny-germ", { device: "reference" });
    cached.dispose();
  } finally {
    Object.assign(env, saved);
    await hub.close();
  }
});

test("model.info reports what the kernels run on: backend, build, threads", { skip }, async () => {
  const ref = await GermModel.fromPretrained(MLM, { device: "reference" });
  const mt = await GermModel.fromPretrained(MLM, { device: "wasm", threads: 2 });
  const st = await GermModel.fromPretrained(MLM, { device: "wasm", threads: 1 });
  try {
    assert.deepEqual({ ...ref.info, description: "" }, { backend: "reference", build: "f64", threads: 1, description: "" });
    assert.equal(mt.info.backend, "wasm");
    assert.match(mt.info.build, /^(simd|relaxed)-mt$/);
    assert.equal(mt.info.threads, 2);
    assert.match(st.info.build, /^(simd|relaxed)$/);
    assert.equal(st.info.threads, 1);
  } finally { ref.dispose(); mt.dispose(); st.dispose(); }
});

test("a sequence over LONG_SEQUENCE_TOKENS gets one warning about quadratic attention cost; shorter ones none", { skip }, async () => {
  const { LONG_SEQUENCE_TOKENS } = await import("../src/pipeline/germ-model.js");
  const m = await GermModel.fromPretrained(MLM, { device: "wasm", threads: 1 });
  const seen: string[] = [];
  const warn = console.warn;
  console.warn = (msg: unknown) => { seen.push(String(msg)); };
  try {
    await m.forward({ inputIds: [[1, 5, 2]] });
    assert.equal(seen.filter((w) => /quadratic|square of the length/.test(w)).length, 0);
    const long = [1, ...new Array<number>(LONG_SEQUENCE_TOKENS).fill(5), 2];
    await m.forward({ inputIds: [[1, 5, 2], long] });
    await m.forward({ inputIds: [long] });
    const hits = seen.filter((w) => /square of the length/.test(w));
    assert.equal(hits.length, 1, "once per process");
    assert.match(hits[0]!, new RegExp(`sequence 1 has ${LONG_SEQUENCE_TOKENS + 2} tokens`));
  } finally { console.warn = warn; m.dispose(); }
});
