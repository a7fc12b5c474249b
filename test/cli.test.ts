// The germ CLI: runCli with a fake model (arguments, formats, exit codes), plus one end-to-end run of the
// compiled CLI on the tiny golden checkpoint when fixtures and GermModel are both present.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { execFile, execFileSync, spawn } from "node:child_process";
import { gzipSync } from "node:zlib";
import { goldenArrays } from "./helpers/golden.js";
import { assertClose } from "./helpers/compare.js";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runCli, type CliModel, type LoadOptions } from "../src/cli/commands.js";
import { formatF32, npyHeader } from "../src/cli/output.js";
import { FormatError } from "../src/errors.js";
import type { FineTuneOptions } from "../src/pipeline/fine-tune.js";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "germ-cli-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const FASTA = join(tmp, "in.fa");
writeFileSync(FASTA, ">a first\nacgtNN\n>b\nGGCC\nTT\n>c\nA\n");

interface Log { texts: string[][]; opts?: LoadOptions; disposed: number; saved?: string; fineTune?: { labels: number[]; opts: FineTuneOptions }; quantized?: object }

/** Fake model: embedding = [length, code of first char, pooling flag]; labels by length parity. */
function fakeModel(log: Log, fail?: Error, onEmbed?: (call: number) => void, onLoad?: () => Promise<void>) {
  return async (_dir: string, opts: LoadOptions): Promise<CliModel> => {
    log.opts = opts;
    await onLoad?.();
    opts.onProgress?.({ file: "config.json", loaded: 10, total: 10, status: "done" });
    if (fail) throw fail;
    return {
      tokenizer: { encode: (t, o) => ({ ids: [...t].slice(0, o?.maxLength).map((c) => c.charCodeAt(0)), tokens: [...t] }) },
      async embed(texts, { pooling }) {
        log.texts.push(texts);
        onEmbed?.(log.texts.length);
        return texts.map((t) => new Float32Array([t.length, t.charCodeAt(0), pooling === "cls" ? 1 : 0.1]));
      },
      async classify(texts) {
        log.texts.push(texts);
        return texts.map((t) => ({ logits: new Float32Array([0, t.length]), probs: new Float32Array([0.25, 0.75]), label: t.length % 2 ? "odd" : "even" }));
      },
      async outliers() { throw new Error("not used by these tests"); },
      async fineTune(data, o) {
        log.texts.push(data.texts);
        log.fineTune = { labels: data.labels, opts: o };
        o.onStep?.({ step: 1, epoch: 0, loss: 0.5, lr: o.lr ?? 0, gradNorm: 1, tokensPerSecond: 1 });
        return { adapter: o.adapter ?? "x", steps: [{ step: 1, loss: 0.5, lr: o.lr ?? 0, gradNorm: 1 }], evals: [], aborted: false };
      },
      async saveAdapter(_name, dir) { log.saved = dir; },
      async save(dir) { log.saved = dir; },
      async quantize(o) {
        log.quantized = o;
        const self = await fakeModel(log)(_dir, opts);
        return { ...self, async save(dir: string) { log.saved = `${dir} (smoothed)`; } };
      },
      config: { numHiddenLayers: 1 },
      dispose() { log.disposed++; },
    };
  };
}

class Sink extends Writable {
  chunks: Buffer[] = [];
  isTTY = false;
  override _write(chunk: Buffer, _enc: string, cb: () => void) { this.chunks.push(Buffer.from(chunk)); cb(); }
  get text() { return Buffer.concat(this.chunks).toString("utf8"); }
}

async function run(argv: string[], opts: { stdin?: string | Uint8Array | (() => AsyncIterable<Uint8Array>); fail?: Error; progress?: boolean;
  interrupt?: AbortSignal; onEmbed?: (call: number) => void; onLoad?: () => Promise<void> } = {}) {
  const stdout = new Sink();
  const errText: string[] = [];
  const log: Log = { texts: [], opts: undefined, disposed: 0, saved: undefined, fineTune: undefined };
  const code = await runCli(argv, {
    stdout, stderr: { write: (s: string) => errText.push(s), isTTY: false },
    // stdin arrives in small pieces, so records and gzip members straddle chunk boundaries.
    stdin: typeof opts.stdin === "function" ? opts.stdin : async function* () {
      const given = opts.stdin as string | Uint8Array | undefined;
      const bytes = typeof given === "string" ? new TextEncoder().encode(given) : given ?? new Uint8Array(0);
      for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
    },
    version: "9.9.9", progress: opts.progress, interrupt: opts.interrupt,
  }, fakeModel(log, opts.fail, opts.onEmbed, opts.onLoad));
  return { code, out: stdout.text, raw: Buffer.concat(stdout.chunks), err: errText.join(""), log };
}

test("--help / -h / --version", async () => {
  for (const flag of ["--help", "-h"]) {
    const r = await run([flag]);
    assert.equal(r.code, 0);
    assert.match(r.out, /Usage: germ <command>/);
    assert.match(r.out, /--keep-case[\s\S]*upper-cased/);
  }
  assert.equal((await run(["--version"])).out, "germ-js 9.9.9\n");
});

test("usage errors exit 2 with 'germ: <message>' and no stack", async () => {
  const cases: [string[], RegExp][] = [
    [[], /missing command/],
    [["frobnicate", FASTA, "--model", "m"], /unknown command 'frobnicate'/],
    [["embed", FASTA], /--model is required/],
    [["embed", "--model", "m"], /missing <input>/],
    [["embed", FASTA, "--model", "m", "--bogus"], /Unknown option '--bogus'/],
    [["embed", FASTA, "--model", "m", "--device", "tpu"], /--device must be one of/],
    [["embed", FASTA, "--model", "m", "--dtype", "q3"], /--dtype must be one of f32, f16, q8, q4/],
    [["quantize", "--model", "m", "--out", "d"], /quantize: --dtype q8 or --dtype q4 is required/],
    [["quantize", "--model", "m", "--dtype", "q8"], /quantize: --out <dir> is required/],
    [["quantize", FASTA, "--model", "m", "--dtype", "q8", "--out", "d"], /quantize: unexpected argument/],
    [["embed", FASTA, "--model", "m", "--batch-size", "0"], /--batch-size must be an integer/],
    [["classify", FASTA, "--model", "m", "--format", "npy"], /npy .* only for embed/],
    [["tokenize", FASTA, "--model", "m", "--pooling", "cls"], /--pooling applies to embed only/],
    [["embed", "-", FASTA, "-", "--model", "m"], /stdin \('-'\) can be read only once/],
    [["embed", FASTA, "--model", "m", "--input-format", "xml"], /--input-format must be one of auto, fasta, fastq, csv, tsv, plain/],
  ];
  for (const [argv, re] of cases) {
    const r = await run(argv);
    assert.equal(r.code, 2, argv.join(" "));
    assert.match(r.err, /^germ: /);
    assert.match(r.err, re);
    assert.doesNotMatch(r.err, /\n\s+at /);
    assert.equal(r.log.opts, undefined, "model not loaded");
  }
});

test("embed jsonl: upper-cases by default, batches, passes model options", async () => {
  const r = await run(["embed", FASTA, "-m", "dir", "--batch-size", "2", "--device", "reference",
    "--attn-softmax", "softmax1", "--max-length", "128", "--threads", "2", "--dtype", "f16"]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.log.texts, [["ACGTNN", "GGCCTT"], ["A"]]);
  assert.equal(r.log.opts?.device, "reference");
  assert.equal(r.log.opts?.attnSoftmax, "softmax1");
  assert.equal(r.log.opts?.maxLength, 128);
  assert.equal(r.log.opts?.threads, 2);
  assert.equal(r.log.opts?.dtype, "f16");
  assert.equal(r.log.disposed, 1);
  const lines = r.out.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.id), ["a", "b", "c"]);
  assert.deepEqual(lines[0].embedding, [6, 65, 0.1]); // 0.1f printed as 0.1, not 0.10000000149011612
  assert.equal(r.err, "", "no progress when stderr is not a TTY");
});

test("--keep-case, stdin input, cls pooling, tsv", async () => {
  const r = await run(["embed", "-", "-m", "dir", "--keep-case", "--pooling", "cls", "-f", "tsv"], { stdin: "acgt\nGG\n" });
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.log.texts, [["acgt", "GG"]]);
  assert.equal(r.out, "id\temb_0\temb_1\temb_2\nseq1\t4\t97\t1\nseq2\t2\t71\t1\n");
});

test("embed npy: a valid NPY v1.0 float32 [n, d] array, written to --out", async () => {
  const file = join(tmp, "emb.npy");
  // --out x.npy is NPY without -f (as x.parquet is Parquet); -f jsonl still writes JSONL there.
  const plain = join(tmp, "named.npy");
  assert.equal((await run(["embed", FASTA, "-m", "dir", "-o", plain])).code, 0);
  assert.deepEqual([...readFileSync(plain).subarray(0, 6)], [0x93, 78, 85, 77, 80, 89]);
  assert.equal((await run(["embed", FASTA, "-m", "dir", "-f", "jsonl", "-o", plain])).code, 0);
  assert.equal(readFileSync(plain, "utf8")[0], "{");
  const r = await run(["embed", FASTA, "-m", "dir", "-f", "npy", "-o", file, "-b", "2"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, "");
  const bytes = readFileSync(file);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x93, 78, 85, 77, 80, 89, 1, 0]);
  const hlen = bytes.readUInt16LE(8);
  assert.equal((10 + hlen) % 64, 0);
  const header = bytes.subarray(10, 10 + hlen).toString("latin1");
  assert.match(header, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3, 3\), \} *\n$/);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 10 + hlen, bytes.byteOffset + bytes.length));
  assert.deepEqual([...data], [6, 65, Math.fround(0.1), 6, 71, Math.fround(0.1), 1, 65, Math.fround(0.1)]);
  assert.match(new TextDecoder().decode(npyHeader([5])), /'shape': \(5,\)/);
});

test("classify jsonl and tsv; tokenize jsonl with --max-length", async () => {
  let r = await run(["classify", FASTA, "-m", "dir"]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out.split("\n")[1]!), { id: "b", label: "even", probs: [0.25, 0.75], logits: [0, 6] });
  r = await run(["classify", FASTA, "-m", "dir", "-f", "tsv"]);
  assert.equal(r.out.split("\n").slice(0, 2).join("\n"), "id\tlabel\tprob_0\tprob_1\na\teven\t0.25\t0.75");
  r = await run(["tokenize", FASTA, "-m", "dir", "--max-length", "3"]);
  assert.deepEqual(JSON.parse(r.out.split("\n")[2]!), { id: "c", ids: [65], tokens: ["A"] });
  assert.deepEqual(JSON.parse(r.out.split("\n")[0]!).ids, [65, 67, 71]);
});

test("runtime errors exit 1: bad input file, malformed FASTA, model failure; no stack for GermError", async () => {
  let r = await run(["embed", join(tmp, "nope.fa"), "-m", "dir"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^germ: cannot read input '.*nope\.fa': no such file\n$/);
  const bad = join(tmp, "bad.fa");
  writeFileSync(bad, ">a\nAC\n>b\n");
  r = await run(["embed", bad, "-m", "dir"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^germ: .*bad\.fa: line 3: FASTA record 'b' has no sequence\n$/);
  r = await run(["embed", FASTA, "-m", "dir"], { fail: new FormatError("dir/config.json: invalid JSON") });
  assert.equal(r.code, 1);
  assert.equal(r.err, "germ: dir/config.json: invalid JSON\n");
  r = await run(["embed", FASTA, "-m", "dir", "-o", join(tmp, "no-dir", "x.jsonl")]);
  assert.equal(r.code, 1);
  assert.match(r.err, /cannot write .*x\.jsonl': ENOENT/);
  r = await run(["embed", FASTA, "-m", "dir"], { fail: new TypeError("boom") });
  assert.equal(r.code, 1);
  assert.match(r.err, /^germ: internal error: TypeError: boom\n\s+at /, "unexpected errors keep their stack");
});

test("progress bar draws on stderr only when enabled", async () => {
  const r = await run(["embed", FASTA, "-m", "dir"], { progress: true });
  assert.equal(r.code, 0);
  assert.match(r.err, /3\/3 sequences/);
  assert.ok(r.err.endsWith("\r\x1b[2K"), "status line erased at the end");
});

test("formatF32 prints the shortest round-tripping float32", () => {
  for (const x of [0.1, 1 / 3, -2.5e-8, 123456.789, 0]) {
    const f = Math.fround(x);
    assert.equal(Math.fround(Number(formatF32(f))), f);
  }
  assert.equal(formatF32(Math.fround(0.1)), "0.1");
});

/** An NPY file's shape, float32 data (as many values as the shape says) and the bytes after them. */
function readNpy(file: string): { shape: number[]; data: Float32Array; extra: number } {
  const b = readFileSync(file);
  assert.deepEqual([...b.subarray(0, 8)], [0x93, 78, 85, 77, 80, 89, 1, 0]);
  const hlen = b.readUInt16LE(8);
  assert.equal((10 + hlen) % 64, 0);
  const shape = /'shape': \(([^)]*)\)/.exec(b.subarray(10, 10 + hlen).toString("latin1"))![1]!.split(",").map((x) => x.trim()).filter(Boolean).map(Number);
  const n = shape.reduce((a, d) => a * d, 1);
  const data = new Float32Array(b.buffer.slice(b.byteOffset + 10 + hlen, b.byteOffset + 10 + hlen + 4 * n));
  assert.equal(data.length, n, "the data holds every row the header claims");
  return { shape, data, extra: b.length - 10 - hlen - 4 * n };
}

/** numpy's own reading of an NPY file (its shape and the first value), when python3 with numpy is at hand. */
const numpy = (() => { try { execFileSync("python3", ["-c", "import numpy"], { stdio: "ignore" }); return true; } catch { return false; } })();
function numpyLoad(file: string): { shape: number[]; first: number | null } {
  return JSON.parse(execFileSync("python3", ["-c",
    "import numpy, sys, json; a = numpy.load(sys.argv[1]); print(json.dumps({'shape': list(a.shape), 'first': float(a.flat[0]) if a.size else None}))", file],
  { encoding: "utf8" }));
}

/** Bases that do not compress (a linear congruential generator's top bits). */
function randomBases(n: number, seed = 7): string {
  let x = seed;
  return Array.from({ length: n }, () => "ACGT"[(x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 30]).join("");
}

const write = (name: string, body: string | Uint8Array) => { const p = join(tmp, name); writeFileSync(p, body); return p; };

test("gzip input: FASTA and multi-member FASTQ through tokenize and embed; several inputs and '-' (gzip on stdin)", async () => {
  const fa = write("g.fa.gz", gzipSync(readFileSync(FASTA)));
  const fq = write("g.fq.gz", Buffer.concat([gzipSync("@r1 x\nACGT\n+\nIIII\n"), gzipSync("@r2\nGGA\n+\nIII\n")]));
  let r = await run(["tokenize", fa, fq, "-m", "dir"]);
  assert.equal(r.code, 0, r.err);
  const rows = r.out.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((x) => x.id), ["a", "b", "c", "r1", "r2"]);
  assert.deepEqual(rows.map((x) => x.tokens.join("")), ["ACGTNN", "GGCCTT", "A", "ACGT", "GGA"]);
  // gzip or not, the same output.
  const [plain, gz] = [await run(["embed", FASTA, "-m", "dir", "-f", "tsv"]), await run(["embed", fa, "-m", "dir", "-f", "tsv"])];
  assert.equal(gz.code, 0, gz.err);
  assert.equal(gz.out, plain.out);
  r = await run(["embed", fq, "-", "-m", "dir", "-b", "2"], { stdin: gzipSync(">s\nttTT\n") });
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.log.texts, [["ACGT", "GGA"], ["TTTT"]]);
  assert.deepEqual(r.out.trimEnd().split("\n").map((l) => JSON.parse(l).id), ["r1", "r2", "s"]);
  // Numbered ids go on across inputs, as if they were one file.
  r = await run(["tokenize", write("p1.txt", "AC\nGT\n"), write("p2.txt.gz", gzipSync("TT\n")), "-m", "dir", "-f", "tsv"]);
  assert.deepEqual(r.out.trimEnd().split("\n").slice(1).map((l) => l.split("\t")[0]), ["seq1", "seq2", "seq3"]);
  // TSV input with a sequence column.
  r = await run(["tokenize", write("t.tsv", "name\tsequence\nx\tacg\n"), "-m", "dir"]);
  assert.deepEqual(JSON.parse(r.out), { id: "x", ids: [65, 67, 71], tokens: ["A", "C", "G"] });
});

test("binary, compressed-otherwise and corrupt gzip input is refused before the model loads", async () => {
  const cases: [string, string | Uint8Array, RegExp][] = [
    ["bin.dat", Buffer.from([0x3e, 0x61, 0x0a, 0x00, 0x01, 0x02]), /bin\.dat: binary data, not a sequence file \(byte 0x00 at offset 3\)/],
    ["reads_1.fq.gz", gzipSync(Buffer.from([0x40, 0x72, 0x0a, 0, 0, 0, 7, 8])), /reads_1\.fq\.gz: binary data, not a sequence file \(byte 0x00 at offset 3 of the decompressed data\)/],
    ["x.fa.bz2", Buffer.from("BZh91AY&SY\x00\x01", "latin1"), /x\.fa\.bz2: bzip2 data, not sequence text: decompress it first/],
    ["cut.fa.gz", gzipSync(">a\n" + randomBases(20000) + "\n").subarray(0, 2000),
      /cut\.fa\.gz: gzip data is corrupt or truncated/],
  ];
  for (const [name, body, re] of cases) {
    const r = await run(["embed", write(name, body), "-m", "dir"]);
    assert.equal(r.code, 1, name);
    assert.match(r.err, /^germ: /);
    assert.match(r.err, re);
    assert.equal(r.log.opts, undefined, `${name}: model not loaded`);
  }
  const dir = await run(["embed", tmp, "-m", "dir"]);
  assert.match(dir.err, /cannot read input '.*': is a directory/);
});

test("characters outside ACGTN: one warning at the end; --strict stops at the first offending record (exit 1)", async () => {
  const rna = write("rna.fa", ">a\nACGU\n>b\nmkv\n>c\nACGT\n");
  let r = await run(["embed", rna, "-m", "dir"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.trimEnd().split("\n").length, 3);
  assert.match(r.err, /^germ: warning: 2 sequences contain 4 characters outside ACGTN \(U: 1, M: 1, K: 1, V: 1; e\.g\. 'U' at a:4, .*rna\.fa line 1\)\. RNA or protein\? The model reads them as \[UNK\]; --strict makes this an error\n$/);
  r = await run(["embed", rna, "-m", "dir", "--strict"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^germ: .*rna\.fa: record 'a' \(line 1\): 'U' at position 4 is outside ACGTN \(--strict\)\. RNA\? \(the vocabulary has T, not U\)\n$/);
  assert.equal(r.log.opts, undefined, "the first record is checked before the model loads");
  r = await run(["embed", write("rna2.csv", "sequence,label\nACGT,1\nAC,0\nACGU,1\n"), "-m", "dir", "--strict", "-b", "1"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /rna2\.csv: record 'seq3' \(line 4\): 'U' at position 4/);
  assert.deepEqual(r.out.trimEnd().split("\n").map((l) => JSON.parse(l).id), ["seq1", "seq2"], "results before it are written");
  assert.equal((await run(["embed", write("iupac.fa", ">g\nACRYGT\n"), "-m", "dir"])).err.includes("IUPAC ambiguity codes?"), true);
});

test("NPY --out: an x.ids.tsv sidecar, and a header that counts the rows written after Ctrl-C, a failure, or no row", async () => {
  const seven = write("seven.fa", ["a", "b", "c", "d", "e", "f", "g"].map((id, i) => `>${id}\n${"ACGT".slice(0, 1 + (i % 4))}\n`).join(""));
  const file = join(tmp, "int.npy");
  const ac = new AbortController();
  let r = await run(["embed", seven, "-m", "dir", "-f", "npy", "-o", file, "-b", "2"], { interrupt: ac.signal, onEmbed: (n) => n === 2 && ac.abort() });
  assert.equal(r.code, 130, r.err);
  assert.match(r.err, /^germ: interrupted after 4 sequences; .*int\.npy and .*int\.ids\.tsv hold their results\n$/);
  let npy = readNpy(file);
  assert.deepEqual(npy.shape, [4, 3]);
  assert.equal(npy.extra, 0);
  assert.deepEqual([...npy.data.filter((_, i) => i % 3 === 0)], [1, 2, 3, 4]);
  assert.equal(readFileSync(join(tmp, "int.ids.tsv"), "utf8"), "a\nb\nc\nd\n");
  if (numpy) assert.deepEqual(numpyLoad(file), { shape: [4, 3], first: 1 });
  // A model failure in the third batch: the rows of the first two stay readable.
  r = await run(["embed", seven, "-m", "dir", "-f", "npy", "-o", file, "-b", "2"], { onEmbed: (n) => { if (n === 3) throw new FormatError("boom"); } });
  assert.equal(r.code, 1);
  assert.deepEqual(readNpy(file).shape, [4, 3]);
  assert.equal(readFileSync(join(tmp, "int.ids.tsv"), "utf8"), "a\nb\nc\nd\n");
  if (numpy) assert.deepEqual(numpyLoad(file).shape, [4, 3]);
  // Stopped after the output is open, before the first batch: an empty (0, 0) array and an empty ids file.
  const early = new AbortController();
  const stdin = async function* () {
    yield new TextEncoder().encode(">a\nAC\n>b\nGG\n");
    early.abort();
    await new Promise(() => {}); // stdin left open
  };
  r = await run(["embed", "-", "-m", "dir", "-f", "npy", "-o", file], { stdin, interrupt: early.signal });
  assert.equal(r.code, 130, r.err);
  assert.match(r.err, /interrupted after 0 sequences/);
  assert.deepEqual(readNpy(file).shape, [0, 0]);
  assert.equal(readFileSync(join(tmp, "int.ids.tsv"), "utf8"), "");
  if (numpy) assert.deepEqual(numpyLoad(file), { shape: [0, 0], first: null });
  // The whole run, to a name without .npy, and ids with tabs.
  const plain = join(tmp, "emb.bin");
  r = await run(["embed", write("tab.csv", 'id,sequence\n"x\ty",AC\nz,G\n'), "-m", "dir", "-f", "npy", "-o", plain]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(readNpy(plain).shape, [2, 3]);
  assert.equal(readFileSync(plain + ".ids.tsv", "utf8"), "x y\nz\n");
});

test("NPY to stdout: the row count comes first (a counting pass over files; stdin held until used)", async () => {
  const npyOf = (raw: Buffer) => { const f = write("stdout.npy", raw); return readNpy(f); };
  let r = await run(["embed", FASTA, write("two.fa.gz", gzipSync(">x\nGG\n>y\nT\n")), "-m", "dir", "-f", "npy", "-b", "2"]);
  assert.equal(r.code, 0, r.err);
  let npy = npyOf(r.raw);
  assert.deepEqual(npy.shape, [5, 3]);
  assert.equal(npy.extra, 0);
  r = await run(["embed", "-", "-m", "dir", "-f", "npy"], { stdin: gzipSync("AC\nG\nTTT\n") });
  npy = npyOf(r.raw);
  assert.deepEqual(npy.shape, [3, 3]);
  assert.deepEqual([...npy.data.filter((_, i) => i % 3 === 0)], [2, 1, 3]);
});

test("CSV errors name the line through the streaming reader (gzip too); finetune reads gzip CSV", async () => {
  const csv = 'sequence,label\nACGT,1\n"AC\nGT",0\n\nACGT\n';
  for (const [name, body] of [["bad.csv", csv], ["bad.csv.gz", gzipSync(csv)]] as const) {
    const r = await run(["embed", write(name, body), "-m", "dir"]);
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`^germ: .*${name.replace(/\./g, "\\.")}: line 6: CSV row has 1 fields, header has 2\n$`));
  }
  const train = write("train.csv.gz", gzipSync("sequence,label\nACGT,0\nGGCC,1\n"));
  const ft = await run(["finetune", "--model", "m", "--train", train, "--out", join(tmp, "ft")]);
  assert.equal(ft.code, 0, ft.err);
  assert.deepEqual(ft.log.fineTune!.labels, [0, 1]);
});

test("Ctrl-C while the input waits (stdin) stops at once, with what is done", async () => {
  const ac = new AbortController();
  const stdin = async function* () {
    yield new TextEncoder().encode(">a\nACGT\n>b\nGG\n>c\nT");
    setTimeout(() => ac.abort(), 50);
    await new Promise(() => {}); // stdin left open
  };
  const r = await run(["embed", "-", "-m", "dir", "-b", "2"], { stdin, interrupt: ac.signal });
  assert.equal(r.code, 130, r.err);
  assert.deepEqual(r.log.texts, [["ACGT", "GG"]]);
  assert.match(r.err, /interrupted after 2 sequences\n$/);
  // During the model's download or load: at once, without waiting for it (disposed of when it comes).
  const load = new AbortController();
  let loaded!: () => void;
  const slow = new Promise<void>((res) => { loaded = res; });
  const file = join(tmp, "load.npy");
  const l = await run(["embed", FASTA, "-m", "dir", "-f", "npy", "-o", file], { interrupt: load.signal, onLoad: () => { load.abort(); return slow; } });
  assert.equal(l.code, 130);
  assert.equal(l.err, "germ: interrupted before the first sequence\n");
  assert.deepEqual(readNpy(file).shape, [0, 0]);
  loaded();
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(l.log.disposed, 1);
  // Before any input came: the model is not even loaded.
  const never = new AbortController();
  const silent = async function* () { setTimeout(() => never.abort(), 20); await new Promise(() => {}); yield new Uint8Array(0); };
  const q = await run(["embed", "-", "-m", "dir"], { stdin: silent, interrupt: never.signal });
  assert.equal(q.code, 130);
  assert.equal(q.err, "germ: interrupted before the first sequence\n");
  assert.equal(q.log.opts, undefined);
});

const root = resolve(fileURLToPath(new URL("../../", import.meta.url)));
const fixtures = fixturesDir();
const haveModel = existsSync(join(root, "build/src/pipeline/germ-model.js"));
test("end to end: compiled CLI embeds a FASTA with the tiny softmax1 checkpoint", {
  skip: !fixtures ? NO_FIXTURES : !haveModel ? "skipped: build/src/pipeline/germ-model.js not built yet" : false,
}, async () => {
  const args = [join(root, "build/src/cli/main.js"), "embed", FASTA, "--model", join(fixtures!, "tiny-softmax1"), "--device", "reference"];
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
    execFile(process.execPath, args, (err, stdout, stderr) => res({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
  assert.equal(code, 0, stderr);
  const rows = stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
  const hidden = JSON.parse(readFileSync(join(fixtures!, "tiny-softmax1", "config.json"), "utf8")).hidden_size;
  assert.deepEqual(rows.map((r) => r.id), ["a", "b", "c"]);
  for (const r of rows) {
    assert.equal(r.embedding.length, hidden);
    assert.ok(r.embedding.every(Number.isFinite));
  }
});

/** Run the compiled CLI; resolves with its exit code and output. */
function runBuiltCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(process.execPath, [join(root, "build/src/cli/main.js"), ...args], { maxBuffer: 1 << 26 },
      (err, stdout, stderr) => res({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
}

test("end to end: the compiled CLI reads gzip (members, FASTA and FASTQ) as the plain files; `| head` exits 0", {
  skip: !fixtures ? NO_FIXTURES : !haveModel ? "skipped: build/src/pipeline/germ-model.js not built yet" : false,
}, async () => {
  const model = join(fixtures!, "tiny-softmax1");
  const fq = Array.from({ length: 6 }, (_, i) => { const s = randomBases(20 + 7 * i, i); return `@q${i} d\n${s}\n+\n${"I".repeat(s.length)}\n`; }).join("");
  const fa = readFileSync(FASTA, "utf8");
  const plain = [write("e2e.fa", fa), write("e2e.fq", fq)];
  const gz = [write("e2e.fa.gz", gzipSync(fa)), write("e2e.fq.gz", Buffer.concat([gzipSync(fq.slice(0, 90)), gzipSync(fq.slice(90))]))];
  const [a, b] = await Promise.all([plain, gz].map((f) => runBuiltCli(["embed", ...f, "--model", model, "--device", "reference", "-b", "4"])));
  assert.equal(b!.code, 0, b!.stderr);
  assert.deepEqual(b!.stdout.trimEnd().split("\n").map((l) => JSON.parse(l).id), ["a", "b", "c", "q0", "q1", "q2", "q3", "q4", "q5"]);
  assert.equal(b!.stdout, a!.stdout);
  // Far more output than a pipe holds: head closes it early, germ still exits 0.
  const many = write("many.fq.gz", gzipSync(Array.from({ length: 20000 }, (_, i) => `@r${i}\nACGTACGTTTGACC\n+\nIIIIIIIIIIIIII\n`).join("")));
  const head = execFileSync("bash", ["-c", `"${process.execPath}" "${join(root, "build/src/cli/main.js")}" tokenize "${many}" --model "${model}" 2>/dev/null | head -n 2 >/dev/null; echo "\${PIPESTATUS[0]}"`], { encoding: "utf8" });
  assert.equal(head.trim(), "0");
});

test("end to end: Ctrl-C (SIGINT) on the compiled CLI leaves a loadable NPY and its ids, exit 130", {
  skip: !fixtures ? NO_FIXTURES : !haveModel ? "skipped: build/src/pipeline/germ-model.js not built yet" : false,
}, async () => {
  const model = join(fixtures!, "tiny-softmax1");
  const file = join(tmp, "sigint.npy"), ids = join(tmp, "sigint.ids.tsv");
  const child = spawn(process.execPath, [join(root, "build/src/cli/main.js"), "embed", "-", "--model", model, "--device", "reference",
    "-f", "npy", "-o", file, "-b", "2"], { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
  child.stdin.write(Array.from({ length: 5 }, (_, i) => `>s${i}\n${randomBases(30, i)}\n`).join("")); // 2 batches, and one left waiting
  const lines = () => (existsSync(ids) ? readFileSync(ids, "utf8").split("\n").length - 1 : 0);
  for (let t = 0; lines() < 4 && t < 600; t++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(lines(), 4, stderr);
  child.kill("SIGINT");
  assert.equal(await exited, 130, stderr);
  assert.match(stderr, /interrupted after 4 sequences; .*sigint\.npy and .*sigint\.ids\.tsv hold their results/);
  const hidden = JSON.parse(readFileSync(join(model, "config.json"), "utf8")).hidden_size;
  assert.deepEqual(readNpy(file).shape, [4, hidden]);
  assert.equal(readFileSync(ids, "utf8"), "s0\ns1\ns2\ns3\n");
  if (numpy) assert.deepEqual(numpyLoad(file).shape, [4, hidden]);
});

test("end to end: embed and outliers reproduce the goldens for the README example", {
  skip: !fixtures ? NO_FIXTURES : !haveModel ? "skipped: build/src/pipeline/germ-model.js not built yet" : false,
}, async () => {
  const dir = join(fixtures!, "tiny-softmax1");
  const golden = JSON.parse(readFileSync(join(dir, "golden.json"), "utf8"));
  const seq = golden.sequences.find((s: { name: string }) => s.name === "readme_example");
  const fasta = join(tmp, "readme.fa");
  writeFileSync(fasta, `>readme\n${seq.text}\n`);
  const emb = await runBuiltCli(["embed", fasta, "--model", dir, "--device", "reference"]);
  assert.equal(emb.code, 0, emb.stderr);
  const want = goldenArrays(dir)("readme_example/mean_pooled");
  assertClose(JSON.parse(emb.stdout).embedding, want, "CLI embed vs golden mean_pooled");
  const out = await runBuiltCli(["outliers", fasta, "--model", dir, "--device", "reference"]);
  assert.equal(out.code, 0, out.stderr);
  const [row, all] = out.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.equal(row.id, "readme");
  assert.equal(all.id, "ALL");
  const m = seq.validate_sc_metrics;
  assertClose([row.maxFfnOutInfNorm, row.maxLnOutInfNorm], [m.max_ffn_out_inf_norm, m.max_LN_out_inf_norm], "CLI outliers inf-norms");
  assertClose([row.avgKurtosis, row.maxKurtosis], [m.avg_kurtosis, m.max_kurtosis], "CLI outliers kurtosis", 1e-3, 1e-3);
});

test("quantize: loads with --dtype, saves to --out; the real CLI writes a directory that embeds like the q8 model", {
  skip: !fixtures ? NO_FIXTURES : !haveModel ? "skipped: build/src/pipeline/germ-model.js not built yet" : false,
}, async () => {
  const r = await run(["quantize", "--model", "m", "--dtype", "q4", "--out", "o"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.log.opts?.dtype, "q4");
  assert.equal(r.log.saved, "o");
  const dir = join(fixtures!, "tiny-softmax1"), out = join(tmp, "q8-model");
  const q = await runBuiltCli(["quantize", "--model", dir, "--dtype", "q8", "--out", out]);
  assert.equal(q.code, 0, q.stderr);
  const fasta = join(tmp, "q.fa");
  writeFileSync(fasta, ">s\nACGTAGCATCGGATCTATCTATCGACACTTGG\n");
  const [saved, direct] = await Promise.all([
    runBuiltCli(["embed", fasta, "--model", out, "--device", "reference"]),
    runBuiltCli(["embed", fasta, "--model", dir, "--device", "reference", "--dtype", "q8"]),
  ]);
  assert.equal(saved.code, 0, saved.stderr);
  assert.deepEqual(JSON.parse(saved.stdout).embedding, JSON.parse(direct.stdout).embedding);
});

test("--adapter / --merge: usage rules; the real CLI classifies with the LoRA golden adapter (unmerged and merged)", {
  skip: !fixtures ? NO_FIXTURES : !haveModel ? "skipped: build/src/pipeline/germ-model.js not built yet" : false,
}, async () => {
  for (const [argv, re] of [
    [["tokenize", FASTA, "--model", "m", "--adapter", "a"], /--adapter applies to embed, classify, predict and outliers/],
    [["classify", FASTA, "--model", "m", "--merge"], /--merge needs --adapter/],
    [["classify", FASTA, "--model", "m", "--adapter", ""], /--adapter needs a directory/],
  ] as [string[], RegExp][]) {
    const r = await run(argv);
    assert.equal(r.code, 2, argv.join(" "));
    assert.match(r.err, re);
  }
  const r = await run(["classify", FASTA, "--model", "m", "--adapter", "lora-dir", "--merge"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.log.opts?.adapter, "lora-dir");
  assert.equal(r.log.opts?.merge, true);
  const dir = join(fixtures!, "tiny-softmax1-cls-lora");
  const golden = JSON.parse(readFileSync(join(dir, "golden.json"), "utf8"));
  const seqs = golden.sequences.filter((s: { text: string }) => /^[ACGTN]+$/.test(s.text));
  const fasta = join(tmp, "lora.fa");
  writeFileSync(fasta, seqs.map((s: { name: string; text: string }) => `>${s.name}\n${s.text}\n`).join(""));
  const want = goldenArrays(dir);
  for (const extra of [[], ["--merge"]]) {
    const c = await runBuiltCli(["classify", fasta, "--model", join(fixtures!, "tiny-softmax1-cls"), "--adapter", dir, "--device", "reference", ...extra]);
    assert.equal(c.code, 0, c.stderr);
    const rows = c.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.equal(rows.length, seqs.length);
    rows.forEach((row, i) => assertClose(row.logits, want(`${seqs[i].name}/cls_logits`), `CLI --adapter ${extra.join(" ")} ${row.id}`));
  }
  const bad = await runBuiltCli(["classify", fasta, "--model", join(fixtures!, "tiny-softmax1-cls"), "--adapter", join(tmp, "nope"), "--device", "reference"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /germ: .*nope/);
});

test("finetune / predict: usage rules, CSV labels checked with file, line and column, options passed on", async () => {
  for (const [argv, re] of [
    [["finetune", "--model", "m", "--out", "o"], /--train <file.csv> is required/],
    [["finetune", "--model", "m", "--train", "t.csv"], /--out <adapter-dir> is required/],
    [["predict", FASTA, "--model", "m"], /--adapter <dir\|url\|hub-id> is required/],
    [["embed", FASTA, "--model", "m", "--epochs", "2"], /--epochs applies to finetune only/],
    [["finetune", "--model", "m", "--train", "t.csv", "--out", "o", "--lr=-1"], /--lr must be a positive number/],
  ] as [string[], RegExp][]) {
    const r = await run(argv);
    assert.equal(r.code, 2, argv.join(" "));
    assert.match(r.err, re);
  }
  const csv = (name: string, body: string) => { const p = join(tmp, name); writeFileSync(p, body); return p; };
  const good = csv("train.csv", "sequence,label\nACGTACGT,0\nGGGGCCCC,1\nTTTTAAAA,2\n");
  const dev = csv("dev.csv", "sequence,label\nACGTAAAA,1\n");
  for (const [file, re] of [
    [csv("nolabel.csv", "sequence\nACGT\n"), /nolabel\.csv: CSV has no 'label' column/],
    [csv("word.csv", "sequence,label\nACGT,0\nACGG,yes\n"), /word\.csv line 3, column 'label': 'yes' is not a class index/],
  ] as [string, RegExp][]) {
    const r = await run(["finetune", "--model", "m", "--train", file, "--out", "o"]);
    assert.equal(r.code, 1, file);
    assert.match(r.err, re);
  }
  const range = await run(["finetune", "--model", "m", "--train", good, "--out", "o", "--num-labels", "2"]);
  assert.match(range.err, /train\.csv line 4, column 'label': label 2 is out of range for --num-labels 2/);
  const ok = await run(["finetune", "--model", "m", "--train", good, "--dev", dev, "--out", join(tmp, "ad"), "--epochs", "2", "--lr", "3e-4", "--targets", "Wqkv,wo", "--max-grad-norm", "none"]);
  assert.equal(ok.code, 0, ok.err);
  assert.deepEqual(ok.log.fineTune!.labels, [0, 1, 2]);
  const o = ok.log.fineTune!.opts;
  assert.deepEqual([o.numLabels, o.epochs, o.lr, o.maxGradNorm, o.lora?.targetModules, o.evalSet?.texts], [3, 2, 3e-4, null, ["Wqkv", "wo"], ["ACGTAAAA"]]);
  assert.deepEqual([o.lora?.dropout, o.hiddenDropout], [0.05, undefined], "GERM's LoRA dropout; the hidden one from config.json");
  assert.equal(ok.log.saved, join(tmp, "ad"));
  assert.equal(JSON.parse(ok.out).steps.length, 1);
  const drop = await run(["finetune", "--model", "m", "--train", good, "--out", join(tmp, "ad2"), "--lora-dropout", "0", "--hidden-dropout", "0.2"]);
  assert.equal(drop.code, 0, drop.err);
  assert.deepEqual([drop.log.fineTune!.opts.lora?.dropout, drop.log.fineTune!.opts.hiddenDropout], [0, 0.2]);
  const bad = await run(["finetune", "--model", "m", "--train", good, "--out", "o", "--hidden-dropout", "1"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--hidden-dropout must be a probability in \[0, 1\); got '1'/);
});

test("end to end: germ finetune on a CSV writes a PEFT adapter that germ predict uses", {
  skip: !fixtures ? NO_FIXTURES : !haveModel ? "skipped: build/src/pipeline/germ-model.js not built yet" : false,
}, async () => {
  const rows = ["sequence,label"], r = (i: number) => "ACGT"[(i * 7 + (i >> 2)) % 4];
  for (let i = 0; i < 24; i++) rows.push(`${Array.from({ length: 30 }, (_, j) => r(i * 31 + j)).join("")}${i % 2 ? "TATATATATATATATA" : ""},${i % 2}`);
  const train = join(tmp, "ft-train.csv"), out = join(tmp, "ft-adapter");
  writeFileSync(train, rows.join("\n") + "\n");
  const ft = await runBuiltCli(["finetune", "--model", join(fixtures!, "tiny-softmax1-cls"), "--train", train, "--dev", train, "--out", out,
    "--epochs", "1", "--batch-size", "8", "--lr", "1e-3", "--device", "wasm"]);
  assert.equal(ft.code, 0, ft.stderr);
  const summary = JSON.parse(ft.stdout);
  assert.equal(summary.steps.length, 3);
  assert.match(ft.stderr, /epoch 1 \(step 3\): dev loss [\d.]+, accuracy [\d.]+, F1 [\d.]+, MCC -?[\d.]+/);
  assert.ok(existsSync(join(out, "adapter_config.json")) && existsSync(join(out, "adapter_model.safetensors")));
  const pr = await runBuiltCli(["predict", train, "--model", join(fixtures!, "tiny-softmax1-cls"), "--adapter", out, "--device", "wasm", "--input-format", "csv"]);
  assert.equal(pr.code, 0, pr.stderr);
  const preds = pr.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.equal(preds.length, 24);
  assert.equal(preds[0].probs.length, 2);
});

test("quantize --smooth-quant α --calibration file: calibrates the float model and saves its q8 copy", async () => {
  for (const [argv, re] of [
    [["quantize", "--model", "m", "--dtype", "q8", "--out", "o", "--smooth-quant", "0.5"], /--smooth-quant and --calibration go together/],
    [["quantize", "--model", "m", "--dtype", "q4", "--out", "o", "--smooth-quant", "0.5", "--calibration", FASTA], /applies to --dtype q8/],
    [["embed", FASTA, "--model", "m", "--calibration", FASTA], /apply to quantize only/],
  ] as [string[], RegExp][]) {
    const r = await run(argv);
    assert.equal(r.code, 2, argv.join(" "));
    assert.match(r.err, re);
  }
  const r = await run(["quantize", "--model", "m", "--dtype", "q8", "--out", "o", "--smooth-quant", "0.5", "--calibration", FASTA]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.log.opts?.dtype, undefined, "the float model is loaded");
  assert.deepEqual(r.log.quantized, { weights: "int8", activations: "int8", calibration: ["ACGTNN", "GGCCTT", "A"], smoothQuant: 0.5 });
  assert.equal(r.log.saved, "o (smoothed)");
  assert.match(r.err, /SmoothQuant α 0.5/);
});

test("quantize --dtype q4 --group-size 64|128: quantizes the float model with that group; bad groups are usage errors", async () => {
  for (const [argv, re] of [
    [["quantize", "--model", "m", "--dtype", "q4", "--out", "o", "--group-size", "48"], /--group-size 48: q4 groups are 32, 64, 128/],
    [["quantize", "--model", "m", "--dtype", "q8", "--out", "o", "--group-size", "64"], /--group-size 64: applies to --dtype q4/],
    [["embed", FASTA, "--model", "m", "--group-size", "64"], /apply to quantize only/],
  ] as [string[], RegExp][]) {
    const r = await run(argv);
    assert.equal(r.code, 2, argv.join(" "));
    assert.match(r.err, re);
  }
  const r = await run(["quantize", "--model", "m", "--dtype", "q4", "--out", "o", "--group-size", "128"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.log.opts?.dtype, undefined, "the float model is loaded");
  assert.deepEqual(r.log.quantized, { weights: "int4", activations: "f32", groupSize: 128 });
  assert.match(r.err, /wrote q4 model \(groups of 128\)/);
});

test("quantize --dtype q4 --scale-dtype f16: q4 with half scales; other dtypes and commands refuse the flag", async () => {
  for (const [argv, re] of [
    [["quantize", "--model", "m", "--dtype", "q8", "--out", "o", "--scale-dtype", "f16"], /--scale-dtype applies to --dtype q4/],
    [["quantize", "--model", "m", "--dtype", "q4", "--out", "o", "--scale-dtype", "bf16"], /--scale-dtype/],
    [["embed", FASTA, "--model", "m", "--scale-dtype", "f16"], /apply to quantize only/],
  ] as [string[], RegExp][]) {
    const r = await run(argv);
    assert.equal(r.code, 2, argv.join(" "));
    assert.match(r.err, re);
  }
  const r = await run(["quantize", "--model", "m", "--dtype", "q4", "--out", "o", "--scale-dtype", "f16"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.log.opts?.dtype, undefined, "the float model is loaded");
  assert.deepEqual(r.log.quantized, { weights: "int4", activations: "f32", scales: "f16" });
  assert.match(r.err, /wrote q4 model \(f16 scales\)/);
});

test("end to end: tokenize reads tokenizer.json only (garbage weights and config.json; no model, backend or checkpoint code loaded)", {
  skip: !fixtures ? NO_FIXTURES : false,
}, async () => {
  const src = join(fixtures!, "tiny-softmax1");
  const dir = join(tmp, "tokenizer-only");
  mkdirSync(dir);
  copyFileSync(join(src, "tokenizer.json"), join(dir, "tokenizer.json"));
  writeFileSync(join(dir, "model.safetensors"), "not a checkpoint");
  writeFileSync(join(dir, "config.json"), "{ not json");
  const golden = JSON.parse(readFileSync(join(src, "golden.json"), "utf8"));
  const seqs = (golden.sequences as { name: string; text: string; input_ids: number[] }[]).filter((s) => /^[ACGTN]+$/.test(s.text));
  const fasta = write("tok.fa", seqs.map((s) => `>${s.name}\n${s.text}\n`).join(""));
  // A resolve hook logs every module the CLI loads.
  const log = join(tmp, "tokenize-modules.log"), hooks = write("tok-hooks.mjs", `import { appendFileSync } from "node:fs";
export async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(process.env.GERM_MODULE_LOG, r.url + "\\n"); return r; }\n`);
  const register = write("tok-register.mjs", `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const runWithLog = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
    writeFileSync(log, "");
    execFile(process.execPath, ["--import", pathToFileURL(register).href, join(root, "build/src/cli/main.js"), ...args],
      { env: { ...process.env, GERM_MODULE_LOG: log } }, (err, stdout, stderr) => res({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
  const r = await runWithLog(["tokenize", fasta, "--model", dir]);
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((x) => [x.id, x.ids]), seqs.map((s) => [s.name, s.input_ids]), "the goldens' input_ids");
  const loaded = readFileSync(log, "utf8");
  assert.ok(loaded.includes("/build/src/tokenizer/tokenizer.js"), "the hook saw the tokenizer load");
  const heavy = loaded.split("\n").filter((u) => /\/build\/src\/(backend|model|quant|lora)\/|\/germ-model\.js|\/io\/(checkpoint|safetensors|torch-bin)\.js|webgpu/.test(u));
  assert.deepEqual(heavy, [], "tokenize loads no model, backend or checkpoint code");
  // The same directory is no model: anything that reads the weights or config.json fails on it.
  const embed = await runWithLog(["embed", fasta, "--model", dir, "--device", "reference"]);
  assert.equal(embed.code, 1);
  assert.match(embed.stderr, /config\.json/);
});
