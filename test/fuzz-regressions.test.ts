// Regressions for the bug classes the fuzz suite found (issue 13), one test per class: unbounded or exponential error
// messages (deep nesting, DAGs, 10^5-character names) in every parser, non-regular and changing files read without a
// bound, zip archives whose local headers, descriptors, names or CRCs disagree with the central directory,
// duplicate safetensors keys, lax config values (1e999, odd id2label keys), unchecked tokenizer templates, and a BOM
// dropped from the middle of a stream.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, FetchError, FormatError, GermError, UnsafePickleError } from "../src/errors.js";
import { crc32, crc32Js } from "../src/io/crc32.js";
import { parseSequences } from "../src/io/fasta.js";
import { unpickle } from "../src/io/pickle.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { readSequences } from "../src/io/seq-stream.js";
import { openSource } from "../src/io/source.js";
import { readTorchBin } from "../src/io/torch-bin.js";
import { readZip } from "../src/io/zip.js";
import { parseConfig } from "../src/model/config.js";
import { DnaTokenizer } from "../src/tokenizer/tokenizer.js";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";
import { PickleWriter, rawSafetensors, torchStateDictPickle } from "./helpers/make-files.js";
import { writeZip, type Field } from "./fuzz/ref/zip.js";

const FIX = fixturesDir();
const enc = (s: string) => new TextEncoder().encode(s);

/** Throws a GermError of class `cls` whose message matches `re` and stays short. */
function typed(fn: () => unknown, cls: new (m: string) => GermError, re: RegExp, max = 600): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof cls, `${e.name}: ${e.message.slice(0, 200)}`);
    assert.ok(e.message.length <= max, `${e.message.length}-character message: ${e.message.slice(0, 200)}…`);
    assert.match(e.message, re);
    return true;
  });
}

const torchEntries = (pkl: Uint8Array, storages: Record<string, Uint8Array> = {}) => [
  { name: "archive/data.pkl", data: pkl },
  ...Object.entries(storages).map(([k, data]) => ({ name: `archive/data/${k}`, data })),
  { name: "archive/version", data: enc("3\n") },
];
const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);
const W = { name: "w", storage: "0", numel: 4, size: [2, 2] };

test("pickle: globals, integers, keys and shapes from the file never make an unbounded message", () => {
  const file = "data.pkl";
  typed(() => unpickle(new PickleWriter().proto().global("torch", "x".repeat(20_000)).stop().bytes(), { file }), UnsafePickleError, /global torch\.x+… at byte 2/);
  typed(() => unpickle(new PickleWriter().proto(4).stackGlobal("os\nevil", "system").stop().bytes(), { file }), UnsafePickleError, /os\\nevil\.system/);
  typed(() => unpickle(Uint8Array.of(0x80, 2, 0x8a, 255, ...new Uint8Array(255).fill(0x7f), 0x2e), { file }), FormatError, /integer \d+… exceeds 2\^53/);
  // Keys: 10^5-deep lists, a 2^60-leaf DAG, a 10^5-character string that names no storage.
  const deep = [0x80, 2, 0x28, ...Array(100_000).fill(0x5d), ...Array(99_999).fill(0x61), 0x4e, 0x64, 0x2e];
  const dag = [0x80, 2, 0x28, 0x4e, ...Array(60).fill([0x32, 0x86]).flat(), 0x4e, 0x64, 0x2e];
  for (const pkl of [deep, dag]) typed(() => readTorchBin(writeZip(torchEntries(Uint8Array.from(pkl))).bytes, "m.bin"), FormatError, /state dict key a (list|tuple) of [12] items is not a string/);
  const key = torchStateDictPickle([{ ...W, storage: "k".repeat(20_000) }]);
  typed(() => readTorchBin(writeZip(torchEntries(key)).bytes, "m.bin"), FormatError, /has no entry archive\/data\/k+…/);
  // Shapes: 10^5 dims in a message; a product of sizes past 2^53 (NaN with a 0 dim) is refused, not read as 0 bytes.
  const dims = [2, 2, ...Array(99_998).fill(1)];
  const many = torchStateDictPickle([{ ...W, size: dims, stride: dims.map(() => 1) }]);
  typed(() => readTorchBin(writeZip(torchEntries(many, { 0: f32(1, 2, 3, 4) })).bytes, "m.bin"), FormatError, /size \[2, 2, 1, .*… \(100000 in all\)\] stride \[1, 1, .*\] is not contiguous/);
  const huge = torchStateDictPickle([{ ...W, size: [...Array(40).fill(2 ** 40), 0], stride: [...Array(40).fill(0), 1] }]);
  typed(() => readTorchBin(writeZip(torchEntries(huge, { 0: f32(1, 2, 3, 4) })).bytes, "m.bin"), FormatError, /has more than 2\^53 elements/);
});

/** A clean torch zip and the byte offset of a named header field in it. */
function zipWith(opts: { descriptor?: boolean; zip64?: boolean } = {}) {
  const pkl = torchStateDictPickle([W]);
  const { bytes, fields } = writeZip(torchEntries(pkl, { 0: f32(1, 2, 3, 4) }), { align: 64, ...opts });
  const at = (name: string) => (fields.find((f) => f.name === name) as Field).at;
  return { bytes, at };
}

test("zip: local headers, data descriptors and the central directory must agree; names are unique; CRCs are checked", () => {
  for (const descriptor of [false, true]) {
    const clean = zipWith({ descriptor });
    assert.deepEqual([...new Float32Array(readTorchBin(clean.bytes, "m.bin").get("w")!.bytes.slice().buffer)], [1, 2, 3, 4]);
    const edit = (field: string, fn: (b: Uint8Array, at: number) => void) => { const b = clean.bytes.slice(); fn(b, clean.at(field)); return b; };
    // Entry 1 is archive/data/0, the tensor's storage.
    typed(() => readZip(edit("local[1].name", (b, at) => { b[at] = 0x41; }), "m.bin"), FormatError, /m\.bin: entry "archive\/data\/0" \(local header at byte \d+\): the local header names "Archive\/data\/0"/);
    typed(() => readZip(edit("local[1].method", (b, at) => { b[at] = 8; }), "m.bin"), FormatError, /compression method 8 in the local header, 0 in the central directory/);
    typed(() => readZip(edit("local[1].flags", (b, at) => { b[at]! ^= 8; }), "m.bin"), FormatError, /flags 0x[0-9a-f]+ in the local header/);
    const sizeField = descriptor ? "desc[1].size" : "local[1].usize";
    typed(() => readZip(edit(sizeField, (b, at) => { b[at]! ^= 1; }), "m.bin"), FormatError, /"archive\/data\/0" .*differs from the central directory's \(CRC 0x[0-9a-f]{8}, size 16/);
    typed(() => readZip(edit(descriptor ? "desc[1].crc" : "local[1].crc", (b, at) => { b[at]! ^= 1; }), "m.bin"), FormatError, /differs from the central directory's/);
    // A changed data byte: the CRC catches it when the entry is read, naming entry and bytes.
    const flipped = clean.bytes.slice();
    const dataAt = clean.at("local[1].name") + "archive/data/0".length + (clean.bytes[clean.at("local[1].extraLen")]! | (clean.bytes[clean.at("local[1].extraLen") + 1]! << 8));
    flipped[dataAt + 5]! ^= 0x10;
    const entries = readZip(flipped, "m.bin");
    typed(() => entries.get("archive/data/0")!.data(), FormatError, /m\.bin: entry "archive\/data\/0" \(bytes \d+…\d+\): CRC-32 is 0x[0-9a-f]{8}, the central directory says 0x[0-9a-f]{8}/);
    typed(() => readTorchBin(flipped, "m.bin"), FormatError, /CRC-32/);
  }
  // Two central records with one name: refused, whichever would have won.
  const pkl = torchStateDictPickle([W]);
  const dup = writeZip([...torchEntries(pkl, { 0: f32(1, 2, 3, 4) }), { name: "archive/data/0", data: f32(9, 9, 9, 9) }], { descriptor: true, align: 64 }).bytes;
  typed(() => readZip(dup, "m.bin"), FormatError, /names entry "archive\/data\/0" twice \(the second at byte \d+\)/);
  // Names that differ in bytes but decode alike are one name.
  const alike = writeZip([{ name: "a", nameBytes: Uint8Array.of(0xff), data: f32(1) }, { name: "b", nameBytes: Uint8Array.of(0xfe), data: f32(2) }]).bytes;
  typed(() => readZip(alike, "t.zip"), FormatError, /twice/);
  // The directory's size must be what its entries take; a count one short would hide the last entry.
  const { bytes, at } = zipWith();
  const short = bytes.slice();
  short[at("eocd.count")]! -= 1;
  short[at("eocd.countDisk")]! -= 1;
  typed(() => readZip(short, "m.bin"), FormatError, /central directory is \d+ bytes but its 2 entries end at byte \d+ of it/);
  const disk = bytes.slice();
  disk[at("eocd.disk")] = 1;
  typed(() => readZip(disk, "m.bin"), FormatError, /multi-disk/);
});

test("zip: an entry whose data covers the next entry's header is refused (overlap)", () => {
  const { bytes, at } = zipWith();
  // Grow entry 1 (archive/data/0) over entry 2's local header, in both headers, so only the layout is wrong.
  const b = bytes.slice(), grow = 40;
  const dv = new DataView(b.buffer);
  for (const f of ["local[1].csize", "local[1].usize", "central[1].csize", "central[1].usize"]) dv.setUint32(at(f), dv.getUint32(at(f), true) + grow, true);
  typed(() => readZip(b, "m.bin"), FormatError, /entries "archive\/data\/0" \[\d+, \d+\) and "archive\/version" \(local header at byte \d+\) overlap/);
});

test("zip: the fixtures' pytorch_model.bin loads; a flipped byte in a tensor or a header does not", { skip: FIX ? false : NO_FIXTURES }, () => {
  const bin = new Uint8Array(readFileSync(join(FIX!, "tiny-softmax1", "pytorch_model.bin")));
  assert.ok(readTorchBin(bin, "pytorch_model.bin").size > 10);
  const data = bin.slice();
  data[600_000]! ^= 1; // inside data/0, the word embeddings
  typed(() => readTorchBin(data, "pytorch_model.bin"), FormatError, /pytorch_model\.bin: entry "pytorch_model\/data\/0" \(bytes \d+…\d+\): CRC-32/);
  const name = bin.slice();
  name[30 + 5]! ^= 1; // the first local header's name
  typed(() => readTorchBin(name, "pytorch_model.bin"), FormatError, /local header names/);
});

test("crc32: known values, native and portable paths agree at every alignment and length", () => {
  assert.equal(crc32(enc("123456789")), 0xcbf43926);
  assert.equal(crc32Js(enc("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  const buf = new Uint8Array(300).map((_, i) => (i * 2654435761) >>> 24);
  for (let off = 0; off < 9; off++) for (const n of [0, 1, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 200]) {
    const v = buf.subarray(off, off + n);
    assert.equal(crc32Js(v), crc32(v), `offset ${off} length ${n}`);
    assert.equal(crc32Js(v.subarray(n >> 1), crc32Js(v.subarray(0, n >> 1))), crc32Js(v), "continues from a previous value");
  }
});

test("safetensors: duplicate keys are refused; hostile dtypes, shapes and names give short messages", () => {
  const t = (n: number) => ({ dtype: "F32", shape: [1], data_offsets: [4 * n, 4 * n + 4] });
  const data = f32(1, 2);
  typed(() => readSafetensors(rawSafetensors(`{"a":${JSON.stringify(t(0))},"b":${JSON.stringify(t(1))},"a":${JSON.stringify(t(0))}}`, data), "m.st"), FormatError, /holds the key "a" twice/);
  typed(() => readSafetensors(rawSafetensors(`{"a":{"dtype":"F32","dtype":"I32","shape":[1],"data_offsets":[0,4]},"b":${JSON.stringify(t(1))}}`, data), "m.st"), FormatError, /key "dtype" twice/);
  typed(() => readSafetensors(rawSafetensors(`{"__metadata__":{"k":"1","k":"2"},"a":${JSON.stringify(t(0))},"b":${JSON.stringify(t(1))}}`, data), "m.st"), FormatError, /key "k" twice/);
  // Escaped spellings of one key are one key; keys deeper down (fields nobody reads) may repeat.
  typed(() => readSafetensors(rawSafetensors(`{"a":${JSON.stringify(t(0))},"\\u0061":${JSON.stringify(t(1))}}`, data), "m.st"), FormatError, /key "a" twice/);
  const ok = readSafetensors(rawSafetensors(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":{"y":1,"y":2}},"b":${JSON.stringify(t(1))}}`, data), "m.st");
  assert.deepEqual([...ok.tensors.keys()], ["a", "b"]);
  const deep = "[".repeat(100_000) + "]".repeat(100_000);
  typed(() => readSafetensors(rawSafetensors(`{"a":{"dtype":${deep},"shape":[1],"data_offsets":[0,4]}}`, f32(1)), "m.st"), FormatError, /unknown or unsupported dtype an array of 1/);
  typed(() => readSafetensors(rawSafetensors(`{"a":{"dtype":"F32","shape":${deep},"data_offsets":[0,4]}}`, f32(1)), "m.st"), FormatError, /shape \[an array of 1\] must be/);
  typed(() => readSafetensors(rawSafetensors({ ["n".repeat(100_000)]: { dtype: "X", shape: [1], data_offsets: [0, 4] } }, f32(1)), "m.st"), FormatError, /tensor "n+…": unknown/);
});

test("config.json: non-finite eps, odd id2label keys and values, non-numeric num_labels, nested values", () => {
  const c = (patch: object) => () => parseConfig({ hidden_size: 64, num_attention_heads: 4, ...patch });
  typed(() => parseConfig(JSON.parse('{"layer_norm_eps": 1e999}')), ConfigError, /"layer_norm_eps" must be a finite non-negative number, got Infinity/);
  for (const key of ["01", "1.0", " 1", "", "1e0", "-0"]) typed(c({ id2label: { 0: "a", [key]: "b" } }), ConfigError, /id2label key .* is not a label index below/);
  typed(c({ id2label: { 0: "a", 1: { x: 1 } } }), ConfigError, /id2label\[1\] must be a string, got an object/);
  assert.deepEqual(c({ id2label: { 0: "a", 1: 7 } })().labels, ["a", "7"]);
  typed(c({ num_labels: "3" }), ConfigError, /"num_labels" must be an integer in 1…1048576, got "3"/);
  typed(c({ architectures: [[["x"]]] }), ConfigError, /"architectures" must be a list of at most 64 class names, got an array of 1/);
  const deep = "[".repeat(100_000) + "]".repeat(100_000);
  typed(() => parseConfig(JSON.parse(`{"hidden_size": ${deep}}`)), ConfigError, /"hidden_size" must be a positive integer ≤ 1048576, got an array of 1/);
  typed(() => parseConfig(JSON.parse(`{"attn_softmax": ${deep}}`)), ConfigError, /got an array of 1/);
});

test("tokenizer.json: pre_tokenizer nesting is bounded; templates emit only known ids and integer type ids; DAGs", { skip: FIX ? false : NO_FIXTURES }, () => {
  const tok = JSON.parse(readFileSync(join(FIX!, "tiny-softmax1", "tokenizer.json"), "utf8"));
  const text = JSON.stringify(tok);
  const withPre = (d: number) => text.replace('"pre_tokenizer":{"type":"Whitespace"}',
    `"pre_tokenizer":${'{"type":"Sequence","pretokenizers":['.repeat(d)}{"type":"Whitespace"}${"]}".repeat(d)}`);
  assert.deepEqual(DnaTokenizer.fromJSON(withPre(2)).encode("ACGTAGCA").ids, [1, 5, 194, 32, 2], "a shallow Sequence still works");
  for (const d of [17, 100_000]) typed(() => DnaTokenizer.fromJSON(withPre(d)), FormatError, /pre_tokenizer Sequences are nested more than 16 deep/);
  const edit = (fn: (j: any) => void) => { const j = JSON.parse(text); fn(j); return j; };
  typed(() => DnaTokenizer.fromJSON(edit((j) => { j.post_processor.special_tokens["[CLS]"].ids = [4096]; })), FormatError, /special_tokens\["\[CLS\]"\] needs ids the vocabulary has/);
  typed(() => DnaTokenizer.fromJSON(edit((j) => { j.post_processor.special_tokens["[CLS]"].tokens = []; })), FormatError, /as many token strings/);
  typed(() => DnaTokenizer.fromJSON(edit((j) => { j.post_processor.single[1].Sequence.type_id = 1.5; })), FormatError, /single\[1\]: type_id 1\.5 is not an integer/);
  typed(() => DnaTokenizer.fromJSON(edit((j) => { j.post_processor.single[0].SpecialToken.id = { a: [[1]] }; })), FormatError, /token an object is not in the vocabulary/);
  // A template that repeats a sequence would overrun maxLength (truncation counts each content token once).
  typed(() => DnaTokenizer.fromJSON(edit((j) => { j.post_processor.pair.push(...j.post_processor.pair); })), FormatError, /pair must use Sequence A and Sequence B once each/);
  typed(() => DnaTokenizer.fromJSON(edit((j) => { j.post_processor.single.push({ Sequence: { id: "A", type_id: 0 } }); })), FormatError, /single must use Sequence A once/);
  // The object API: one subtree shared 2^50 times is described, never stringified.
  let dag: unknown = [1];
  for (let k = 0; k < 50; k++) dag = [dag, dag];
  for (const put of [(j: any) => { j.model.type = dag; }, (j: any) => { j.normalizer = dag; }, (j: any) => { j.model.unk_token = dag; }, (j: any) => { j.pre_tokenizer.type = dag; }]) {
    typed(() => DnaTokenizer.fromJSON(edit(put)), FormatError, /an array of 2/);
  }
  typed(() => DnaTokenizer.fromJSON(edit((j) => { j.model.vocab.A = "x".repeat(100_000); })), FormatError, /model\.vocab\["A"\] = "x+…" is not an integer id/);
});

test("sequences: a BOM after the first chunk is text; quoted CSV fields; long ids in messages", async () => {
  const read = async (chunks: Uint8Array[]) => {
    const out = [];
    for await (const r of readSequences((async function* () { yield* chunks; })())) out.push({ id: r.id, sequence: r.sequence });
    return out;
  };
  const bom = Uint8Array.of(0xef, 0xbb, 0xbf);
  // ASCII first (the fast path), the BOM only later: it is a character of the header (a space to firstWord), as
  // parseSequences reads the same text, not a byte-order mark to drop.
  const later = await read([enc(">ab"), new Uint8Array([...bom, ...enc("cd x\nACGT\n")])]);
  assert.deepEqual(later, parseSequences(">ab\ufeffcd x\nACGT\n").map(({ id, sequence }) => ({ id, sequence })));
  assert.equal(later[0]!.id, "ab");
  assert.deepEqual(await read([bom, enc("ACGT\n")]), [{ id: "seq1", sequence: "ACGT" }], "a leading BOM is dropped");
  assert.deepEqual(await read([Uint8Array.of(0xef), Uint8Array.of(0xbb, 0xbf, 0x41, 0x0a)]), [{ id: "seq1", sequence: "A" }], "also when cut");
  const csv = 'id,sequence,label\n"a,1",AC"GT,"x""y"z\n  "b" ,"A\nC",2\n';
  assert.deepEqual(parseSequences(csv).map((r) => [r.id, r.sequence, r.label]), [["a,1", 'AC"GT', 'x"yz'], ["b", "AC", "2"]]);
  const long = `>${"n".repeat(100_000)}\n>b\nACGT\n`;
  assert.throws(() => parseSequences(long), (e: Error) => e instanceof FormatError && e.message.length < 200 && /FASTA record 'n+…' has no sequence/.test(e.message));
  assert.throws(() => parseSequences(`${"x".repeat(100_000)}\tfoo\nA\n`, { format: "tsv" }), (e: Error) => e instanceof FormatError && e.message.length < 300);
});

test("local model files: FIFOs, devices, directories and files that change while read are refused, not read forever", { skip: process.platform === "win32" ? "POSIX files" : false, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "germ-files-"));
  try {
    writeFileSync(join(dir, "config.json"), "{}");
    const src = await openSource(dir);
    assert.deepEqual(await src.get("config.json"), enc("{}"));
    assert.equal(await src.get("absent.json"), null);
    const refused = async (file: string, re: RegExp) => {
      await assert.rejects(src.get(file), (e: Error) => e instanceof FetchError && re.test(e.message) || assert.fail(`${e.name}: ${e.message}`));
    };
    symlinkSync("/dev/zero", join(dir, "model.safetensors"));
    await refused("model.safetensors", /model\.safetensors: not a regular file \(a character device\)/);
    mkdirSync(join(dir, "tokenizer.json"));
    await refused("tokenizer.json", /not a regular file \(a directory\)/);
    let fifo = true;
    try { execFileSync("mkfifo", [join(dir, "pytorch_model.bin")]); } catch { fifo = false; }
    if (fifo) await refused("pytorch_model.bin", /not a regular file \(a FIFO\)/);
    // A file whose size stat gives is not what reading it gives (procfs: size 0, content on read).
    if (process.platform === "linux") {
      symlinkSync("/proc/self/status", join(dir, "vocab.txt"));
      await refused("vocab.txt", /changed while it was being read \(0 bytes when opened/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("sharded index: a hostile weight_map value (nested 10^5 deep) or a 1 MB tensor name gives a short typed error", async () => {
  const { loadCheckpoint } = await import("../src/io/checkpoint.js");
  const deep = "[".repeat(100_000) + "0" + "]".repeat(100_000); // built as text: JSON.stringify would overflow here too
  const huge = "x".repeat(1 << 20);
  for (const json of [`{"weight_map":{"a.weight":${deep}}}`, `{"weight_map":{"${huge}":"../escape.safetensors"}}`]) {
    const index = new TextEncoder().encode(json);
    const src = { location: "mem", get: async (f: string) => (f === "model.safetensors.index.json" ? index : null) };
    await assert.rejects(loadCheckpoint(src), (e: Error) => e.name === "FormatError" && e.message.length < 400 && /not a plain file name/.test(e.message));
  }
});
