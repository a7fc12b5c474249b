// memorySource: a model from bytes already in memory (edge workers, KV/R2, a page's file picker) loads and computes
// exactly what the same files from disk do; bad values are refused by name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GermModel } from "../src/pipeline/germ-model.js";
import { memorySource } from "../src/io/memory-source.js";
import { InputError } from "../src/errors.js";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";

const root = fixturesDir();

test("memorySource: bytes, ArrayBuffer, Blob and lazy values load the same model as the directory", { skip: root ? false : NO_FIXTURES }, async () => {
  const dir = join(root!, "tiny-softmax1");
  const read = (f: string) => new Uint8Array(readFileSync(join(dir, f)));
  let weightReads = 0;
  const src = memorySource({
    "config.json": read("config.json"),
    "tokenizer.json": new Blob([read("tokenizer.json")]),
    "model.safetensors": async () => { weightReads++; return read("model.safetensors").buffer as ArrayBuffer; },
  }, "bundled:tiny-softmax1");
  assert.equal(await src.get("pytorch_model.bin"), null);
  const a = await GermModel.fromPretrained(src, { device: "reference" });
  const b = await GermModel.fromPretrained(dir, { device: "reference" });
  try {
    assert.equal(weightReads, 1);
    const seqs = ["ACGTAGCATCGGATCTATCTATCGACACTTGG", "TTGACA"];
    assert.deepEqual(await a.embed(seqs), await b.embed(seqs));
  } finally { a.dispose(); b.dispose(); }
});

test("memorySource refuses values that are not bytes, naming the file", () => {
  assert.throws(() => memorySource({ "config.json": "{}" as never }, "kv"), (e: Error) => e instanceof InputError && /kv\/config\.json is a string/.test(e.message));
  const lazy = memorySource({ "model.safetensors": async () => [1, 2] as never });
  return assert.rejects(lazy.get("model.safetensors"), /memory\/model\.safetensors resolved to an array/);
});
