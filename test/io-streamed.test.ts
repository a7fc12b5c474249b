// Streamed checkpoint loads: a source with open() (local directories, Blobs, memory) loads safetensors tensor by
// tensor (.bin: one storage at a time), reading no range larger than one tensor, and gives exactly the model that whole-file reads give. A file that
// changes while it loads is refused; every file opened is closed, also when the load fails; files past 4 GiB load.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, openSync, closeSync, ftruncateSync, readFileSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GermModel } from "../src/pipeline/germ-model.js";
import { openSource } from "../src/io/source.js";
import { memorySource } from "../src/io/memory-source.js";
import { openCheckpoint, type ModelSource } from "../src/io/checkpoint.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { readTorchBin } from "../src/io/torch-bin.js";
import type { RandomAccessFile } from "../src/io/random-access.js";
import { FetchError, InputError } from "../src/errors.js";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";

const root = fixturesDir();
const skip = root ? false : NO_FIXTURES;
const SEQS = ["ACGTAGCATCGGATCTATCTATCGACACTTGG", "TTGACA"];

/** `src` with its open() wrapped: every read's length, and how many files are open now. */
function watched(src: ModelSource, onRead?: (n: number, f: RandomAccessFile) => void) {
  const log = { reads: [] as number[], open: 0, opened: 0 };
  const wrapped: ModelSource = {
    location: src.location,
    get: (f) => src.get(f),
    async open(file) {
      const f = await src.open!(file);
      if (f === null) return null;
      log.open++; log.opened++;
      return {
        size: f.size,
        async read(offset, length) { log.reads.push(length); const b = await f.read(offset, length); onRead?.(log.reads.length, f); return b; },
        async close() { log.open--; await f.close(); },
      };
    },
  };
  return { src: wrapped, log };
}

test("a local safetensors checkpoint loads tensor by tensor and equals the whole-file load bit for bit", { skip }, async () => {
  const dir = join(root!, "tiny-softmax1");
  const { src, log } = watched(await openSource(dir));
  const whole = readSafetensors(new Uint8Array(readFileSync(join(dir, "model.safetensors"))), "model.safetensors").tensors;
  const largest = Math.max(...[...whole.values()].map((t) => t.bytes.byteLength));
  const getOnly: ModelSource = { location: dir, get: (f) => src.get(f) };
  const [a, b] = [await GermModel.fromPretrained(src, { device: "reference" }), await GermModel.fromPretrained(getOnly, { device: "reference" })];
  try {
    assert.ok(Math.max(...log.reads) <= largest, `largest read ${Math.max(...log.reads)} > largest tensor ${largest}`);
    assert.ok(log.reads.length >= whole.size, `${log.reads.length} reads for ${whole.size} tensors`);
    assert.equal(log.open, 0, "the checkpoint file is closed after the load");
    assert.deepEqual(await a.embed(SEQS), await b.embed(SEQS));
  } finally { a.dispose(); b.dispose(); }
});

test("a local pytorch_model.bin streams too: directory and pickle first, then one storage per read", { skip }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), "germ-bin-"));
  try {
    for (const f of ["config.json", "tokenizer.json", "pytorch_model.bin"]) copyFileSync(join(root!, "tiny-softmax1", f), join(tmp, f));
    const file = new Uint8Array(readFileSync(join(tmp, "pytorch_model.bin")));
    const largest = Math.max(...[...readTorchBin(file, "bin").values()].map((t) => t.bytes.byteLength));
    const { src, log } = watched(await openSource(tmp));
    const getOnly: ModelSource = { location: tmp, get: (f) => src.get(f) };
    const [a, b] = [await GermModel.fromPretrained(src, { device: "reference" }), await GermModel.fromPretrained(getOnly, { device: "reference" })];
    try {
      // The zip directory comes in 64 KiB regions (plus the tail where the end records live); data a storage per read.
      const bound = Math.max(largest, 2 * 65536 + 76);
      assert.ok(Math.max(...log.reads) <= bound, `largest read ${Math.max(...log.reads)} > ${bound} (largest tensor ${largest}, file ${file.byteLength})`);
      assert.equal(log.open, 0);
      assert.deepEqual(await a.embed(SEQS), await b.embed(SEQS));
      assert.deepEqual(await a.maskedLM(["ACGTAGCATCGG"]), await b.maskedLM(["ACGTAGCATCGG"]));
    } finally { a.dispose(); b.dispose(); }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test("a Blob (a page's picked file) is read a slice at a time, never whole", { skip }, async () => {
  const dir = join(root!, "tiny-softmax1-cls");
  const read = (f: string) => new Uint8Array(readFileSync(join(dir, f)));
  const blob = new Blob([read("model.safetensors")]);
  let wholeReads = 0;
  const slice = blob.slice.bind(blob);
  blob.slice = (start?: number, end?: number, type?: string) => { if ((end ?? blob.size) - (start ?? 0) === blob.size) wholeReads++; return slice(start, end, type); };
  blob.arrayBuffer = () => { wholeReads++; return Blob.prototype.arrayBuffer.call(blob); };
  const src = memorySource({ "config.json": read("config.json"), "tokenizer.json": read("tokenizer.json"), "model.safetensors": blob }, "picked");
  const [a, b] = [await GermModel.fromPretrained(src, { device: "reference" }), await GermModel.fromPretrained(dir, { device: "reference" })];
  try {
    assert.equal(wholeReads, 0);
    assert.deepEqual(await a.classify(SEQS), await b.classify(SEQS));
  } finally { a.dispose(); b.dispose(); }
});

test("a checkpoint that changes while it loads is a FetchError; files are closed on every failure", { skip }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), "germ-streamed-"));
  try {
    for (const f of ["config.json", "tokenizer.json", "model.safetensors"]) copyFileSync(join(root!, "tiny-softmax1", f), join(tmp, f));
    // Appended to after the header and a few tensors were read: the next read sees another size.
    const grow = watched(await openSource(tmp), (n) => { if (n === 4) appendFileSync(join(tmp, "model.safetensors"), "x"); });
    await assert.rejects(GermModel.fromPretrained(grow.src, { device: "reference" }), (e: Error) => e instanceof FetchError && /changed while it was being read/.test(e.message));
    assert.equal(grow.log.open, 0);
    // Refused before any weight is read (a stored-format mismatch): the file is still closed.
    copyFileSync(join(root!, "tiny-softmax1", "model.safetensors"), join(tmp, "model.safetensors"));
    const early = watched(await openSource(tmp));
    await assert.rejects(GermModel.fromPretrained(early.src, { device: "reference", simulate: { wBits: 1, aBits: 8 } }), InputError);
    assert.equal(early.log.opened, 1);
    assert.equal(early.log.open, 0);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test("a checkpoint past 4 GiB loads (sparse file: only the tensors the model uses are read)", { skip: skip || (process.platform === "win32" ? "sparse files" : false), timeout: 120_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), "germ-big-"));
  try {
    const dir = join(root!, "tiny-softmax1");
    for (const f of ["config.json", "tokenizer.json"]) copyFileSync(join(dir, f), join(tmp, f));
    // The fixture's tensors, then an unused 5 GB U8 tensor left as a hole: the header says where everything is.
    const bytes = new Uint8Array(readFileSync(join(dir, "model.safetensors")));
    const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { data_offsets?: number[] }>;
    const dataLen = bytes.byteLength - 8 - n, pad = 5 * 2 ** 30;
    header["unused.padding"] = { dtype: "U8", shape: [pad], data_offsets: [dataLen, dataLen + pad] } as never;
    const text = new TextEncoder().encode(JSON.stringify(header));
    const head = new Uint8Array(8);
    new DataView(head.buffer).setUint32(0, text.byteLength, true);
    const path = join(tmp, "model.safetensors");
    writeFileSync(path, Buffer.concat([head, text, bytes.subarray(8 + n)]));
    const fd = openSync(path, "r+");
    try { ftruncateSync(fd, 8 + text.byteLength + dataLen + pad); } finally { closeSync(fd); }
    const ck = await openCheckpoint(await openSource(tmp));
    try { assert.equal(ck.tensors.get("unused.padding")?.byteLength, pad); } finally { await ck.close(); }
    const [big, small] = [await GermModel.fromPretrained(tmp, { device: "reference" }), await GermModel.fromPretrained(dir, { device: "reference" })];
    try { assert.deepEqual(await big.embed(SEQS), await small.embed(SEQS)); } finally { big.dispose(); small.dispose(); }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
