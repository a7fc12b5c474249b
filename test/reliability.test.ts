// Reliability (issue: hostile input typed and bounded, long work cancellable): option and config sizes validated,
// non-finite weights refused at load, tokenizer ids checked (range, uniqueness, against vocab_size, a template that
// keeps the input), overlapping calls serialized, calls abortable, and CPU forwards yielding to the event loop.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { GermModel } from "../src/pipeline/germ-model.js";
import type { ModelSource } from "../src/io/checkpoint.js";
import { readSafetensors, writeSafetensors, type TensorToWrite } from "../src/io/safetensors.js";
import { ConfigError, FormatError, InputError } from "../src/errors.js";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";

const FIX = fixturesDir();
const skip = FIX ? false : NO_FIXTURES;
const DIR = join(FIX ?? "", "tiny-softmax1");

/** The fixture directory in memory, with some files replaced. */
function mem(replace: Record<string, Uint8Array | object> = {}): ModelSource {
  const files: Record<string, Uint8Array> = {};
  for (const f of readdirSync(DIR)) if (f !== "pytorch_model.bin") files[f] = new Uint8Array(readFileSync(join(DIR, f)));
  for (const [f, v] of Object.entries(replace)) files[f] = v instanceof Uint8Array ? v : new TextEncoder().encode(JSON.stringify(v));
  return { location: "mem:tiny", get: async (f) => files[f] ?? null };
}
const json = (f: string) => JSON.parse(readFileSync(join(DIR, f), "utf8"));

test("sizes are validated before anything loads: batchSize, maxLength, threads, config dimensions and num_labels", { skip }, async () => {
  for (const [o, re] of [
    [{ batchSize: 0 }, /batchSize must be an integer in 1…65536, got 0/], [{ batchSize: NaN }, /batchSize/], [{ batchSize: -1 }, /batchSize/],
    [{ threads: Infinity }, /threads must be an integer in 1…64/], [{ threads: 5000 }, /threads/], [{ maxLength: 1 }, /maxLength/],
  ] as [object, RegExp][]) {
    await assert.rejects(GermModel.fromPretrained(mem(), { device: "reference", ...o }), (e: Error) => e instanceof InputError && re.test(e.message), String(re));
  }
  const cfg = json("config.json");
  for (const [patch, re] of [
    [{ num_labels: 2 ** 31 }, /"num_labels" must be an integer in 1…1048576/], [{ num_labels: 1e8 }, /num_labels/],
    [{ hidden_size: 2 ** 32 }, /"hidden_size" must be a positive integer ≤ 1048576/],
    [{ attn_softmax: "x".repeat(100000) }, /"attn_softmax" must be "vanilla" or "softmax1", got "x+…$/],
  ] as [object, RegExp][]) {
    await assert.rejects(GermModel.fromPretrained(mem({ "config.json": { ...cfg, ...patch } }), { device: "reference" }),
      (e: Error) => e instanceof ConfigError && re.test(e.message) && e.message.length < 300, String(re));
  }
});

test("a NaN or Inf weight is refused at load naming the tensor and element; allowNonFinite loads it", { skip }, async () => {
  const { tensors } = readSafetensors(new Uint8Array(readFileSync(join(DIR, "model.safetensors"))), "m");
  const out = new Map<string, TensorToWrite>();
  for (const [k, t] of tensors) out.set(k, { dtype: t.dtype, shape: t.shape, data: t.bytes.slice() });
  const name = "bert.encoder.layer.1.mlp.wo.weight";
  new Float32Array((out.get(name)!.data as Uint8Array).buffer)[7] = NaN;
  const src = () => mem({ "model.safetensors": writeSafetensors(out) });
  await assert.rejects(GermModel.fromPretrained(src(), { device: "reference" }),
    (e: Error) => e instanceof FormatError && new RegExp(`"${name.replace(/\./g, "\\.")}" \\[64, 128\\] holds NaN at element 7`).test(e.message));
  const m = await GermModel.fromPretrained(src(), { device: "reference", allowNonFinite: true });
  try { assert.ok(Number.isNaN((await m.embed(["ACGT"]))[0][0]), "loaded anyway, as asked"); } finally { m.dispose(); }
});

test("tokenizer ids: below 2^31, unique, within config.json's vocab_size; a template that drops the input is refused", { skip }, async () => {
  const tok = json("tokenizer.json");
  const vocab = tok.model.vocab as Record<string, number>;
  const [first, second] = Object.keys(vocab);
  const cases: [object, new (...a: never[]) => Error, RegExp][] = [
    [{ ...tok, model: { ...tok.model, vocab: { ...vocab, [first]: 2 ** 31 } } }, FormatError, /is not an integer id in \[0, 2\^31\)/],
    [{ ...tok, model: { ...tok.model, vocab: { ...vocab, [second]: vocab[first] } } }, FormatError, /share id/],
    [{ ...tok, model: { ...tok.model, vocab: { ...vocab, TTTTTTTTTTTTTTTTTTTTTTTT: 9999 } } }, ConfigError, /tokenizer\.json has ids up to 9999 but .*config\.json's vocab_size is/],
    [{ ...tok, post_processor: { ...tok.post_processor, single: tok.post_processor.single.filter((p: any) => !p.Sequence) } }, FormatError, /no Sequence A/],
  ];
  for (const [t, cls, re] of cases) {
    await assert.rejects(GermModel.fromPretrained(mem({ "tokenizer.json": t }), { device: "reference" }), (e: Error) => e instanceof cls && re.test(e.message), String(re));
  }
});

test("overlapping calls give what sequential calls give; an aborted call rejects and leaves the model usable; forwards yield", { skip }, async () => {
  const m = await GermModel.fromPretrained(mem(), { device: "wasm", batchSize: 2 });
  try {
    const a = ["ACGTACGTTTGACCA", "GGGCCCAAATTT", "ACGT"], b = ["TTTTGGGGAACC", "ACGTTGCA"];
    const seqA = await m.embed(a), seqB = await m.embed(b);
    const [pa, pb] = await Promise.all([m.embed(a), m.embed(b)]);
    pa.forEach((v, i) => assert.deepEqual([...v], [...seqA[i]]));
    pb.forEach((v, i) => assert.deepEqual([...v], [...seqB[i]]));
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(m.embed(a, { signal: ac.signal }), (e: Error) => e.name === "AbortError");
    const mid = new AbortController();
    const p = m.forward({ inputIds: [Array(2000).fill(5)] }, { signal: mid.signal });
    setImmediate(() => mid.abort());
    await assert.rejects(p, (e: Error) => e.name === "AbortError");
    assert.deepEqual([...(await m.embed(a))[0]], [...seqA[0]], "usable after an abort");
    // The event loop gets turns during a forward on a CPU backend (between layers).
    let ticks = 0, on = true;
    const spin = () => { if (on) { ticks++; setImmediate(spin); } };
    setImmediate(spin);
    await m.forward({ inputIds: [Array(3000).fill(5)] });
    on = false;
    assert.ok(ticks >= m.config.numHiddenLayers, `the event loop ran ${ticks} times during the forward`);
  } finally { m.dispose(); }
});
