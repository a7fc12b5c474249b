// LoRA adapters at inference (issue: PEFT adapters, several at once, fused): the fixture adapters' goldens through
// every way of running them (per call, per sequence in a mixed batch, merged), adapter_config variants that must give
// the same function (rsLoRA, rank/alpha patterns, regex targets, .bin, in-memory key names), a classifier with its
// own labels, hub/URL loading, and hostile or broken adapters refused with typed errors naming the file and tensor.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GermModel } from "../src/pipeline/germ-model.js";
import type { ModelSource } from "../src/io/checkpoint.js";
import { readSafetensors, writeSafetensors, type TensorToWrite } from "../src/io/safetensors.js";
import { toFloat32, type TensorMap } from "../src/io/raw-tensor.js";
import { ConfigError, FormatError, InputError, MissingTensorError, UnsafePickleError } from "../src/errors.js";
import { matches, patternValue } from "../src/lora/config.js";
import { assertClose, cosine } from "./helpers/compare.js";
import { fixturesDir, NO_FIXTURES, readJson } from "./helpers/fixtures.js";
import { dirSource, goldenArrays } from "./helpers/golden.js";
import { makeZip, torchStateDictPickle, PickleWriter } from "./helpers/make-files.js";
import { startHub } from "./helpers/hub-server.js";
import { env } from "../src/env.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";

const FIX = fixturesDir();
const skip = FIX ? false : NO_FIXTURES;
const at = (...p: string[]) => join(FIX ?? "", ...p);
const BASE = "tiny-softmax1-cls", LORA = "tiny-softmax1-cls-lora";
const TOL = { atol: 1e-4, rtol: 1e-4 }; // the fixtures' rule

const golden = (dir: string) => ({ g: readJson(at(dir, "golden.json")), want: goldenArrays(at(dir)) });
const texts = (dir: string): string[] => readJson(at(dir, "golden.json")).sequences.map((s: { text: string }) => s.text);

/** An adapter directory in memory: adapter_config.json (an object), tensors, optional extra files. */
function memAdapter(config: object, tensors: TensorMap | Map<string, TensorToWrite>, extra: Record<string, Uint8Array> = {}, weightsFile = "adapter_model.safetensors"): ModelSource {
  const files: Record<string, Uint8Array> = { "adapter_config.json": new TextEncoder().encode(JSON.stringify(config)), ...extra };
  if (weightsFile === "adapter_model.safetensors") {
    const out = new Map<string, TensorToWrite>();
    for (const [k, t] of tensors) out.set(k, "bytes" in t ? { dtype: t.dtype, shape: [...t.shape], data: t.bytes } : t);
    files[weightsFile] = writeSafetensors(out);
  }
  return { location: "mem:adapter", get: async (f) => files[f] ?? null };
}

function loraFiles(): { config: Record<string, unknown>; tensors: TensorMap } {
  return {
    config: JSON.parse(readFileSync(at(LORA, "adapter_config.json"), "utf8")),
    tensors: readSafetensors(new Uint8Array(readFileSync(at(LORA, "adapter_model.safetensors"))), "adapter_model.safetensors").tensors,
  };
}

const f32 = (v: Float32Array): TensorToWrite => ({ dtype: "F32", shape: [v.length], data: v });

async function classifyErr(m: GermModel, dir: string, adapter: string | undefined, xs = texts(dir)): Promise<number> {
  const { g, want } = golden(dir);
  const got = await m.classify(xs, { adapter });
  let worst = 0;
  g.sequences.forEach((s: { name: string }, i: number) => { worst = Math.max(worst, assertClose(got[i].logits, want(`${s.name}/cls_logits`), `${s.name} cls_logits`, TOL.atol, TOL.rtol)); });
  return worst;
}

for (const device of ["reference", "wasm"] as const) {
  test(`${device}: adapters switch per call; no adapter is the base model; nothing leaks between calls`, { skip }, async () => {
    const m = await GermModel.fromPretrained(dirSource(at(BASE)), { device });
    try {
      const before = await classifyErr(m, BASE, undefined);
      await m.loadAdapter("lora", dirSource(at(LORA)));
      await m.loadAdapter("trained", dirSource(at(BASE, "train", "adapter-wqkv_zeroB")));
      assert.deepEqual(m.adapters, ["lora", "trained"]);
      const e1 = await classifyErr(m, LORA, "lora");
      const e0 = await classifyErr(m, BASE, undefined);
      // The fine-tuning goldens' saved adapter reproduces the run's logits after step 3 (TRAINING.md §4).
      const t = readJson(at(BASE, "train", "golden.json"));
      const run = t.runs.find((r: { adapter?: { dir: string } }) => r.adapter?.dir === "adapter-wqkv_zeroB");
      const got = await m.classify(t.batch.texts, { adapter: "trained" });
      const e2 = Math.max(...got.map((c, i) => assertClose(c.logits, run.logits[3][i], `trained logits[3] ${i}`, TOL.atol, TOL.rtol)));
      assert.ok(await classifyErr(m, LORA, "lora") <= e1 + 1e-7, "the adapter's own goldens again after other calls");
      console.log(`# ${device}: base ${before.toExponential(2)} → ${e0.toExponential(2)}, lora golden ${e1.toExponential(2)}, trained logits[3] ${e2.toExponential(2)}`);
      m.unloadAdapter("trained");
      await assert.rejects(m.classify(["ACGT"], { adapter: "trained" }), (e) => e instanceof InputError && /no adapter named "trained"/.test(e.message));
    } finally { m.dispose(); }
  });

  test(`${device}: a batch mixing adapters per sequence equals each sequence run with its adapter alone, bit for bit`, { skip }, async () => {
    const m = await GermModel.fromPretrained(dirSource(at(BASE)), { device, batchSize: 4 });
    try {
      await m.loadAdapter("lora", dirSource(at(LORA)));
      await m.loadAdapter("trained", dirSource(at(BASE, "train", "adapter-wqkv_zeroB")));
      const xs = texts(LORA);
      const pick = (i: number) => (["lora", "trained", null] as const)[i % 3];
      const mixed = await m.classify(xs.map((text, i) => ({ text, adapter: pick(i) })));
      const hidden = (await m.forward(xs.map((text, i) => ({ text, adapter: pick(i) })))).lastHiddenState;
      for (const [i, x] of xs.entries()) {
        const [one] = await m.classify([x], { adapter: pick(i) });
        // Bit for bit: every op's rows are independent of their neighbours (batch-invariance.test.ts, lora invariants).
        assert.deepEqual(mixed[i].logits, one.logits, `mixed vs alone ${i}`);
        const [h] = (await m.forward([x], { adapter: pick(i) })).lastHiddenState;
        assert.deepEqual(hidden[i], h, `mixed hidden vs alone ${i}`);
      }
      // The per-sequence adapter overrides the call's option; null there is the base model.
      const [o] = await m.classify([{ text: xs[1], adapter: null }], { adapter: "lora" });
      const [b] = await m.classify([xs[1]]);
      assert.deepEqual([...o.logits], [...b.logits]);
      console.log(`# ${device}: mixed-adapter batch vs one at a time: bit-identical`);
    } finally { m.dispose(); }
  });

  test(`${device}: merge equals unmerged; unmerge restores the base bit for bit`, { skip }, async () => {
    const m = await GermModel.fromPretrained(dirSource(at(BASE)), { device });
    try {
      await m.loadAdapter("lora", dirSource(at(LORA)));
      const xs = texts(LORA);
      const base = await m.classify(xs);
      const unmerged = (await m.forward(xs, { adapter: "lora" })).lastHiddenState;
      await m.merge("lora");
      assert.equal(m.mergedAdapter, "lora");
      const merged = (await m.forward(xs, { adapter: "lora" })).lastHiddenState;
      let worst = 0;
      merged.forEach((h, i) => { worst = Math.max(worst, assertClose(h, unmerged[i], `merged vs unmerged ${i}`, 1e-5, 1e-5)); });
      await classifyErr(m, LORA, "lora");
      await assert.rejects(m.classify(xs), (e) => e instanceof InputError && /merged/.test(e.message));
      assert.throws(() => m.unloadAdapter("lora"), InputError);
      await m.unmerge();
      const again = await m.classify(xs);
      again.forEach((c, i) => assert.deepEqual([...c.logits], [...base[i].logits], `base after unmerge ${i}`));
      console.log(`# ${device}: merged vs unmerged hidden states: max |Δ| ${worst.toExponential(2)}`);
    } finally { m.dispose(); }
  });
}

test("f16 base (reference): unmerged LoRA, merged within the f16 weight rounding, unmerge bit for bit", { skip }, async () => {
  const m = await GermModel.fromPretrained(dirSource(at(BASE)), { device: "reference", dtype: "f16" });
  try {
    await m.loadAdapter("lora", dirSource(at(LORA)));
    const xs = texts(LORA).slice(0, 4);
    const base = await m.classify(xs);
    const unmerged = (await m.forward(xs, { adapter: "lora" })).lastHiddenState;
    await m.merge("lora");
    const merged = (await m.forward(xs, { adapter: "lora" })).lastHiddenState;
    // GOLDEN_TOL_F16's bound: the merged weight is rounded to f16 once more than W (measured below).
    let worst = 0;
    merged.forEach((h, i) => { worst = Math.max(worst, assertClose(h, unmerged[i], `f16 merged vs unmerged ${i}`, 1.5e-2, 1.5e-2)); });
    await m.unmerge();
    (await m.classify(xs)).forEach((c, i) => assert.deepEqual([...c.logits], [...base[i].logits]));
    console.log(`# f16 merged vs unmerged hidden states: max |Δ| ${worst.toExponential(2)}`);
  } finally { m.dispose(); }
});

test("adapters over quantized bases (QLoRA-style): q8 and q4 run the adapter unmerged; merge is refused", { skip }, async () => {
  const { g, want } = golden(LORA);
  const xs = texts(LORA);
  for (const [dtype, minCos] of [["q8", 0.999], ["q4", 0.985]] as const) {
    const m = await GermModel.fromPretrained(dirSource(at(BASE)), { device: "wasm", dtype });
    try {
      await m.loadAdapter("lora", dirSource(at(LORA)));
      const h = (await m.forward(xs, { adapter: "lora" })).lastHiddenState;
      const cls = await m.classify(xs, { adapter: "lora" });
      let worstCos = 1, worstLogit = 0;
      g.sequences.forEach((s: { name: string; last_hidden_state_stored: boolean }, i: number) => {
        if (s.last_hidden_state_stored) worstCos = Math.min(worstCos, cosine(h[i], want(`${s.name}/last_hidden_state`)));
        const w = want(`${s.name}/cls_logits`);
        cls[i].logits.forEach((v, j) => { worstLogit = Math.max(worstLogit, Math.abs(v - w[j])); });
      });
      console.log(`# ${dtype} base + LoRA vs the f32 goldens: worst cosine ${worstCos.toFixed(5)}, logits max |Δ| ${worstLogit.toExponential(2)}`);
      assert.ok(worstCos >= minCos, `${dtype}: worst cosine ${worstCos} < ${minCos}`);
      if (dtype === "q8") assert.ok(worstLogit <= 0.05, `q8 logits off by ${worstLogit}`);
      await assert.rejects(m.merge("lora"), (e) => e instanceof InputError && new RegExp(`${dtype}`).test(e.message));
    } finally { m.dispose(); }
  }
});

test("adapter_config variants that define the same function reproduce the goldens", { skip }, async () => {
  const m = await GermModel.fromPretrained(dirSource(at(BASE)), { device: "reference" });
  try {
    const { config, tensors } = loraFiles();
    const variants: Record<string, [object, TensorMap]> = {
      // r 4, alpha 16 → s = 4 as alpha 8 / √4 with rsLoRA.
      rslora: [{ ...config, use_rslora: true, lora_alpha: 8 }, tensors],
      rank_pattern: [{ ...config, r: 2, rank_pattern: { Wqkv: 4, "mlp.wo": 4 } }, tensors],
      alpha_pattern: [{ ...config, lora_alpha: 1, alpha_pattern: { "layer\\.\\d\\.attention\\.self\\.Wqkv": 16, wo: 16 } }, tensors],
      regex_targets: [{ ...config, target_modules: ".*\\.(Wqkv|mlp\\.wo)" }, tensors],
      layers_to_transform: [{ ...config, layers_to_transform: [0, 1] }, tensors],
      in_memory_names: [config, new Map([...tensors].map(([k, t]) => [k.replace(/\.lora_([AB])\.weight$/, ".lora_$1.default.weight"), t]))],
    };
    for (const [name, [cfg, ts]] of Object.entries(variants)) {
      await m.loadAdapter(name, memAdapter(cfg, ts));
      await classifyErr(m, LORA, name);
    }
    // Only layer 0: a different function, so the goldens must NOT match (the option is applied, not ignored).
    await m.loadAdapter("layer0", memAdapter({ ...config, layers_to_transform: 0 }, new Map([...tensors].filter(([k]) => !k.includes("layer.1.")))));
    await assert.rejects(classifyErr(m, LORA, "layer0"));
  } finally { m.dispose(); }
});

test("adapter_model.bin is read through the restricted unpickler; a hostile global is refused", { skip }, async () => {
  const { config, tensors } = loraFiles();
  const names = [...tensors.keys()];
  const zip = (pkl: Uint8Array) => makeZip([
    { name: "archive/data.pkl", data: pkl },
    ...names.map((n, i) => ({ name: `archive/data/${i}`, data: tensors.get(n)!.bytes })),
    { name: "archive/version", data: new TextEncoder().encode("3\n") },
  ], { align: 64 });
  const pkl = torchStateDictPickle(names.map((n, i) => ({ name: n, storage: String(i), numel: tensors.get(n)!.bytes.byteLength / 4, size: [...tensors.get(n)!.shape] })));
  const src = (bin: Uint8Array) => memAdapter(config, new Map(), { "adapter_model.bin": bin }, "adapter_model.bin");
  const m = await GermModel.fromPretrained(dirSource(at(BASE)), { device: "reference" });
  try {
    await m.loadAdapter("bin", src(zip(pkl)));
    await classifyErr(m, LORA, "bin");
    const evil = new PickleWriter().proto(2).global("os", "system").unicode("echo pwned").tuple1().reduce().stop().bytes();
    await assert.rejects(m.loadAdapter("evil", src(zip(evil))), (e) => e instanceof UnsafePickleError && /os\.system|os system/.test(e.message));
    assert.deepEqual(m.adapters, ["bin"]);
  } finally { m.dispose(); }
});

test("an adapter's own classifier: its label count and names (config.json id2label, the labels option, else LABEL_i)", { skip }, async () => {
  const { config, tensors } = loraFiles();
  const H = 64, n = 5;
  const w = Float32Array.from({ length: n * H }, (_, i) => Math.sin(i) * 0.1), b = Float32Array.from({ length: n }, (_, i) => i * 0.01);
  const ts = new Map<string, TensorToWrite>([...tensors].filter(([k]) => !k.includes("classifier")).map(([k, t]) => [k, { dtype: t.dtype, shape: [...t.shape], data: t.bytes }]));
  ts.set("base_model.model.classifier.weight", { dtype: "F32", shape: [n, H], data: w }).set("base_model.model.classifier.bias", f32(b));
  const id2label = { id2label: Object.fromEntries(["A", "B", "C", "D", "E"].map((l, i) => [String(i), l])) };
  const m = await GermModel.fromPretrained(dirSource(at(BASE)), { device: "reference" });
  try {
    await m.loadAdapter("named", memAdapter(config, ts, { "config.json": new TextEncoder().encode(JSON.stringify(id2label)) }));
    await m.loadAdapter("plain", memAdapter(config, ts));
    await m.loadAdapter("told", memAdapter(config, ts), { labels: ["v", "w", "x", "y", "z"] });
    const xs = texts(LORA).slice(0, 3);
    const [a] = await m.classify(xs, { adapter: "named" }), [p] = await m.classify(xs, { adapter: "plain" }), [t] = await m.classify(xs, { adapter: "told" });
    assert.equal(a.logits.length, n);
    assert.ok(["A", "B", "C", "D", "E"].includes(a.label) && /^LABEL_[0-4]$/.test(p.label) && ["v", "w", "x", "y", "z"].includes(t.label));
    assert.deepEqual([...a.logits], [...p.logits]);
    assert.equal((await m.classify(xs))[0].logits.length, 3, "the base keeps its 3 labels");
    await assert.rejects(m.loadAdapter("bad", memAdapter(config, ts), { labels: ["x"] }), (e) => e instanceof ConfigError && /5 labels/.test(e.message));
  } finally { m.dispose(); }
});

test("loadAdapter from a directory URL and a hub id (local server)", { skip }, async () => {
  const hub = await startHub((repo, _rev, file) => (repo === "lab/lora" ? at(LORA, file) : null));
  const saved = { remoteHost: env.remoteHost, cacheDir: env.cacheDir };
  const cache = mkdtempSync(join(tmpdir(), "germ-lora-cache-"));
  const m = await GermModel.fromPretrained(dirSource(at(BASE)), { device: "reference" });
  try {
    await m.loadAdapter("url", `${hub.url}/lab/lora/resolve/main`);
    await classifyErr(m, LORA, "url");
    env.remoteHost = hub.url;
    env.cacheDir = cache;
    await m.loadAdapter("hub", "lab/lora");
    await classifyErr(m, LORA, "hub");
    assert.ok(hub.requests.some((r) => r === "/lab/lora/resolve/main/adapter_model.safetensors"));
  } finally {
    Object.assign(env, saved);
    m.dispose(); await hub.close(); rmSync(cache, { recursive: true, force: true });
  }
});

test("broken and hostile adapters: typed errors naming the file and tensor; nothing half-loaded", { skip }, async () => {
  const { config, tensors } = loraFiles();
  const A0 = "base_model.model.bert.encoder.layer.0.attention.self.Wqkv.lora_A.weight";
  const B0 = A0.replace("lora_A", "lora_B");
  const edit = (f: (m: Map<string, TensorToWrite>) => void) => {
    const m = new Map<string, TensorToWrite>([...tensors].map(([k, t]) => [k, { dtype: t.dtype, shape: [...t.shape], data: t.bytes }]));
    f(m);
    return m;
  };
  const cases: [string, ModelSource, new (...a: never[]) => Error, RegExp][] = [
    ["wrong A shape", memAdapter(config, edit((m) => m.set(A0, { dtype: "F32", shape: [4, 32], data: new Float32Array(128) }))), ConfigError, /Wqkv\.lora_A\.weight" is \[4, 32\].*\[4, 64\].*does not fit/],
    ["rank mismatch between A and B", memAdapter(config, edit((m) => m.set(B0, { dtype: "F32", shape: [192, 2], data: new Float32Array(384) }))), ConfigError, /lora_B\.weight" is \[192, 2\]/],
    ["missing B", memAdapter(config, edit((m) => m.delete(B0))), MissingTensorError, /layer\.0\.attention\.self\.Wqkv\.lora_B\.weight" is missing/],
    ["a module the model lacks", memAdapter({ ...config, target_modules: ["Wqkv", "wo"] }, edit((m) => m.set(A0.replace("layer.0", "layer.7"), m.get(A0)!))), ConfigError, /has no module "bert\.encoder\.layer\.7/],
    ["tensors of a module not targeted", memAdapter({ ...config, target_modules: ["Wqkv"] }, tensors), ConfigError, /mlp\.wo.*not targeted/],
    ["targets that match nothing", memAdapter({ ...config, target_modules: ["query", "value"] }, tensors), ConfigError, /not targeted/],
    ["NaN in a weight", memAdapter(config, edit((m) => m.set(A0, { dtype: "F32", shape: [4, 64], data: new Float32Array(256).fill(NaN) }))), FormatError, /Wqkv\.lora_A\.weight"\[0\] = NaN/],
    ["DoRA", memAdapter({ ...config, use_dora: true }, tensors), ConfigError, /use_dora.*DoRA/],
    ["trained biases", memAdapter({ ...config, bias: "all" }, tensors), ConfigError, /bias is "all"/],
    ["not LoRA", memAdapter({ ...config, peft_type: "IA3" }, tensors), ConfigError, /peft_type is "IA3"/],
    ["no target_modules", memAdapter({ ...config, target_modules: null }, tensors), ConfigError, /target_modules is missing/],
    ["bad regex", memAdapter({ ...config, target_modules: "(" }, tensors), ConfigError, /not a regular expression/],
    ["modules_to_save of a LayerNorm", memAdapter({ ...config, modules_to_save: ["classifier", "LayerNorm"] }, edit((m) => m.set("base_model.model.bert.encoder.layer.0.attention.output.LayerNorm.weight", f32(new Float32Array(64))))), ConfigError, /saves module "encoder\.layer\.0\.attention\.output\.LayerNorm"/],
    ["not a PEFT key", memAdapter(config, edit((m) => m.set("encoder.layer.0.foo", f32(new Float32Array(1))))), FormatError, /"encoder\.layer\.0\.foo" is not a PEFT adapter key/],
    ["classifier weight without bias", memAdapter(config, edit((m) => m.delete("base_model.model.classifier.bias"))), MissingTensorError, /"classifier" has a weight but no bias/],
    ["no weights file", memAdapter(config, new Map(), {}, "none"), FormatError, /no adapter weights/],
    ["invalid JSON", { location: "mem:bad", get: async (f: string) => (f === "adapter_config.json" ? new TextEncoder().encode("{") : null) }, FormatError, /adapter_config\.json: invalid JSON/],
    ["not an adapter directory", { location: "mem:empty", get: async () => null }, FormatError, /adapter_config\.json not found/],
  ];
  const m = await GermModel.fromPretrained(dirSource(at(BASE)), { device: "reference" });
  try {
    const live = () => (m as unknown as { state: { backend: { stats(): { buffers: number } } } }).state.backend.stats().buffers;
    const before = live();
    for (const [what, src, cls, re] of cases) {
      await assert.rejects(m.loadAdapter(what, src), (e: Error) => {
        assert.ok(e instanceof cls, `${what}: ${e.constructor.name}: ${e.message}`);
        assert.match(e.message, re, what);
        return true;
      });
    }
    assert.deepEqual(m.adapters, []);
    assert.equal(live(), before, "a refused adapter frees what it uploaded");
    await m.loadAdapter("ok", memAdapter(config, tensors));
    await assert.rejects(m.loadAdapter("ok", memAdapter(config, tensors)), (e) => e instanceof InputError && /already loaded/.test(e.message));
    await assert.rejects(m.classify(["ACGT"], { adapter: "nope" }), (e) => e instanceof InputError && /no adapter named "nope".*"ok"/.test(e.message));
    await assert.rejects(m.classify([{ text: "ACGT", adapter: 3 as unknown as string }]), InputError);
  } finally { m.dispose(); }
});

test("peft's target rule: equal or ending in '.' + entry ('dense' hits the pooler too); regex fullmatch; pattern keys", () => {
  const list = { list: ["dense", "Wqkv"] };
  assert.ok(matches(list, "bert.pooler.dense"));
  assert.ok(matches(list, "bert.encoder.layer.3.attention.output.dense"));
  assert.ok(matches(list, "dense"));
  assert.ok(!matches(list, "bert.encoder.layer.3.attention.output.superdense"));
  assert.ok(!matches(list, "bert.encoder.layer.0.mlp.wo"));
  const re = { regex: /^(?:.*\.layer\.[01]\..*Wqkv)$/u, source: "" };
  assert.ok(matches(re, "bert.encoder.layer.1.attention.self.Wqkv") && !matches(re, "bert.encoder.layer.2.attention.self.Wqkv"));
  assert.equal(patternValue({ "layer.0.mlp.wo": 16, wo: 8 }, "bert.encoder.layer.0.mlp.wo", 4, "f"), 16);
  assert.equal(patternValue({ "layer.0.mlp.wo": 16, wo: 8 }, "bert.encoder.layer.1.mlp.wo", 4, "f"), 8);
  assert.equal(patternValue({ wo: 8 }, "bert.encoder.layer.1.mlp.two", 4, "f"), 4, "a suffix must start at a '.'");
});

for (const model of ["tiny-softmax1-cls", "tiny-softmax-cls"]) {
  test(`${model}: the training golden's saved adapter reproduces its run's logits after 3 steps (reference, Wasm)`, { skip }, async () => {
    const t = readJson(at(model, "train", "golden.json"));
    for (const device of ["reference", "wasm"] as const) {
      const m = await GermModel.fromPretrained(dirSource(at(model)), { device });
      try {
        for (const run of (t.runs as any[]).filter((r) => r.adapter)) {
          await m.loadAdapter(run.name, dirSource(at(model, "train", run.adapter.dir)));
          const got = await m.classify(t.batch.texts, { adapter: run.name });
          const e = Math.max(...got.map((c, i) => assertClose(c.logits, run.logits[3][i], `${model} ${run.name} logits[3] ${i} on ${device}`, TOL.atol, TOL.rtol)));
          console.log(`# ${model} ${run.adapter.dir} on ${device}: logits[3] max |err| ${e.toExponential(2)}`);
        }
      } finally { m.dispose(); }
    }
  });
}
