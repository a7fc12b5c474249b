// loadCheckpoint: file preference order, sharded safetensors and .bin indexes, missing shards, hostile shard
// names, nothing found; plus the real fixture folder through a tiny local-dir ModelSource.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { FormatError, MissingTensorError } from "../src/errors.js";
import { loadCheckpoint, type ModelSource } from "../src/io/checkpoint.js";
import { writeSafetensors } from "../src/io/safetensors.js";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";
import { makeZip, torchStateDictPickle } from "./helpers/make-files.js";

const FIX = fixturesDir();

function memSource(files: Record<string, Uint8Array | string>, location = "mem://model"): ModelSource & { asked: string[] } {
  const asked: string[] = [];
  return {
    location, asked,
    async get(file) {
      asked.push(file);
      const v = files[file];
      return v === undefined ? null : typeof v === "string" ? new TextEncoder().encode(v) : v;
    },
  };
}
const st = (names: string[], value = 1) =>
  writeSafetensors(new Map(names.map((n) => [n, { dtype: "F32" as const, shape: [1], data: new Float32Array([value]) }])));
const index = (map: Record<string, string>) => JSON.stringify({ metadata: { total_size: 0 }, weight_map: map });
const bin = (names: string[]) => makeZip([
  { name: "pytorch_model/data.pkl", data: torchStateDictPickle(names.map((name) => ({ name, storage: "0", numel: 1, size: [1] }))) },
  { name: "pytorch_model/data/0", data: new Uint8Array(new Float32Array([2]).buffer) },
]);

test("preference: model.safetensors, then its index, then pytorch_model.bin, then its index", async () => {
  const all = {
    "model.safetensors": st(["single"]),
    "model.safetensors.index.json": index({ a: "s1.safetensors" }), "s1.safetensors": st(["a"]),
    "pytorch_model.bin": bin(["fromBin"]),
    "pytorch_model.bin.index.json": index({ b: "b1.bin" }), "b1.bin": bin(["b"]),
  };
  const order = ["model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json"];
  const keys = [["single"], ["a"], ["fromBin"], ["b"]];
  for (let i = 0; i < order.length; i++) {
    const files: Record<string, Uint8Array | string> = { ...all };
    for (const f of order.slice(0, i)) delete files[f];
    const { tensors, file } = await loadCheckpoint(memSource(files));
    assert.equal(file, order[i]);
    assert.deepEqual([...tensors.keys()], keys[i]);
  }
});

test("sharded safetensors: shards are merged; each listed tensor must be in its shard", async () => {
  const { tensors } = await loadCheckpoint(memSource({
    "model.safetensors.index.json": index({ x: "model-00001-of-00002.safetensors", y: "model-00002-of-00002.safetensors", z: "model-00002-of-00002.safetensors" }),
    "model-00001-of-00002.safetensors": st(["x"]),
    "model-00002-of-00002.safetensors": st(["y", "z"], 3),
  }));
  assert.deepEqual([...tensors.keys()].sort(), ["x", "y", "z"]);
  await assert.rejects(loadCheckpoint(memSource({ "model.safetensors.index.json": index({ x: "s.safetensors", q: "s.safetensors" }), "s.safetensors": st(["x"]) })),
    (e: Error) => e instanceof MissingTensorError && /"q"/.test(e.message));
  await assert.rejects(loadCheckpoint(memSource({ "model.safetensors.index.json": index({ x: "a.safetensors", y: "b.safetensors" }), "a.safetensors": st(["x", "y"]), "b.safetensors": st(["y"]) })),
    (e: Error) => e instanceof FormatError && /"y" also appears/.test(e.message));
});

test("a sharded index pointing to a missing shard is a MissingTensorError naming shard and location", async () => {
  const src = memSource({ "model.safetensors.index.json": index({ x: "model-00001-of-00002.safetensors", y: "model-00002-of-00002.safetensors" }),
    "model-00001-of-00002.safetensors": st(["x"]) }, "/models/germ");
  await assert.rejects(loadCheckpoint(src), (e: Error) =>
    e instanceof MissingTensorError && /model-00002-of-00002\.safetensors/.test(e.message) && /\/models\/germ/.test(e.message) && /"y"/.test(e.message));
  const binSrc = memSource({ "pytorch_model.bin.index.json": index({ w: "pytorch_model-00001-of-00001.bin" }) });
  await assert.rejects(loadCheckpoint(binSrc), MissingTensorError);
});

test("hostile or broken indexes are FormatErrors, and no file outside the model is requested", async () => {
  for (const shard of ["../../etc/passwd", "/etc/passwd", "sub/dir.safetensors", "C:\\x", "..", 7]) {
    const src = memSource({ "model.safetensors.index.json": JSON.stringify({ weight_map: { w: shard } }) });
    await assert.rejects(loadCheckpoint(src), (e: Error) => e instanceof FormatError && /plain file name/.test(e.message));
    assert.deepEqual(src.asked, ["model.safetensors", "model.safetensors.index.json"]);
  }
  await assert.rejects(loadCheckpoint(memSource({ "model.safetensors.index.json": "{oops" })), (e: Error) => e instanceof FormatError && /not valid JSON/.test(e.message));
  await assert.rejects(loadCheckpoint(memSource({ "model.safetensors.index.json": "{}" })), (e: Error) => e instanceof FormatError && /weight_map/.test(e.message));
});

test("nothing found: FormatError listing every file looked for at the location", async () => {
  await assert.rejects(loadCheckpoint(memSource({ "config.json": "{}" }, "hf://zhihan1996/DNABERT-2-117M")), (e: Error) =>
    e instanceof FormatError && /hf:\/\/zhihan1996\/DNABERT-2-117M/.test(e.message) &&
    ["model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json"].every((f) => e.message.includes(f)));
});

test("errors inside a file name its full path", async () => {
  await assert.rejects(loadCheckpoint(memSource({ "model.safetensors": new Uint8Array(3) }, "/m")), (e: Error) => e instanceof FormatError && e.message.startsWith("/m/model.safetensors:"));
});

test("fixture folder through a local-dir source picks model.safetensors", { skip: FIX ? false : NO_FIXTURES }, async () => {
  const dir = join(FIX!, "tiny-softmax1");
  const src: ModelSource = {
    location: dir,
    async get(file) {
      try { return new Uint8Array(await readFile(join(dir, file))); } catch (e) { if ((e as NodeJS.ErrnoException).code === "ENOENT") return null; throw e; }
    },
  };
  const { tensors, file } = await loadCheckpoint(src);
  assert.equal(file, "model.safetensors");
  assert.ok(tensors.has("bert.embeddings.word_embeddings.weight"));
});
