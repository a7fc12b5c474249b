// germ at genome scale (issue 12, CLI): --shard i/N, --resume and `germ merge` give the same bytes as one plain run;
// --quiet/--verbose, per-command --help. A fake model in-process, plus the compiled CLI on the tiny checkpoint
// killed with SIGKILL mid-run and resumed.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cliWarning, runCli, type CliModel } from "../src/cli/commands.js";
import { createProgress, fmtDuration } from "../src/cli/progress.js";
import { ParquetSink, parquetSettings } from "../src/cli/parquet.js";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";
import { formatF32 } from "../src/cli/output.js";

// Awaited before any test is declared (a later top-level await lets the root's after() run first).
// hyparquet-writer (and its reader, hyparquet) are dependencies in package.json; a checkout without them skips.
const hyparquet = await (async () => { const name = "hyparquet"; try { return await import(name); } catch { return undefined; } })();
const root = resolve(fileURLToPath(new URL("../../", import.meta.url)));
const fixtures = fixturesDir();
const main = join(root, "build/src/cli/main.js");
const haveModel = existsSync(join(root, "build/src/pipeline/germ-model.js"));
const tmp = mkdtempSync(join(tmpdir(), "germ-cli-genome-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const path = (name: string) => join(tmp, name);

/** Bases from a linear congruential generator. */
function bases(n: number, seed: number): string {
  let x = seed;
  return Array.from({ length: n }, () => "ACGT"[(x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 30]).join("");
}

// 23 records (not a multiple of the shard counts or batch sizes), ids with a tab and unnamed (seqK) ones.
const RECORDS = Array.from({ length: 23 }, (_, i) => bases(5 + ((i * 7) % 31), i + 1));
const FASTA = path("in.fa");
writeFileSync(FASTA, RECORDS.map((s, i) => `>${i === 4 ? "r4\tx" : `r${i}`} desc\n${s}\n`).join(""));
const PLAIN = path("in.txt");
writeFileSync(PLAIN, RECORDS.join("\n") + "\n");

/** Fake model: embedding values from the sequence (not round numbers, so every byte of a float32 matters). */
const fake = async (): Promise<CliModel> => ({
  tokenizer: { encode: (t) => ({ ids: [...t].map((c) => c.charCodeAt(0)), tokens: [...t] }) },
  async embed(texts) { return texts.map((t) => new Float32Array([t.length / 7, Math.sin(t.charCodeAt(1)), Math.log(1 + t.split("G").length)])); },
  // Class: the length's parity (odd = 1), with probabilities and a label name that agree.
  async classify(texts) {
    return texts.map((t) => ({
      logits: new Float32Array([0, t.length / 3]), probs: new Float32Array(t.length % 2 ? [0.2, 0.8] : [0.75, 0.25]), label: t.length % 2 ? "odd" : "even",
    }));
  },
  async outliers() { throw new Error("unused"); },
  async fineTune() { throw new Error("unused"); },
  async saveAdapter() {}, async save() {}, async quantize() { throw new Error("unused"); },
  config: { numHiddenLayers: 1 },
  dispose() {},
});

class Out extends Writable {
  chunks: Buffer[] = [];
  override _write(c: Buffer, _e: string, cb: () => void) { this.chunks.push(Buffer.from(c)); cb(); }
}

/** `onEmbed`: called before each embed call with its number (1, 2, …), e.g. to press Ctrl-C (`interrupt`). */
async function germ(argv: string[], { tty = false, onLoad, interrupt, onEmbed }: { tty?: boolean; onLoad?: () => void; interrupt?: AbortSignal; onEmbed?: (call: number) => void } = {}) {
  const stdout = new Out(), err: string[] = [];
  let calls = 0;
  const code = await runCli(argv, {
    stdout, stderr: { write: (s: string) => err.push(s), isTTY: tty, columns: 200 }, stdin: async function* () {}, version: "0", progress: tty, interrupt,
  }, async () => {
    onLoad?.();
    const m = await fake();
    const embed = m.embed.bind(m);
    m.embed = (texts, o) => { onEmbed?.(++calls); return embed(texts, o); };
    return m;
  });
  return { code, out: Buffer.concat(stdout.chunks).toString("utf8"), err: err.join("") };
}

const bytes = (f: string) => readFileSync(f);
const sidecar = (f: string) => f.replace(/\.npy$/, ".ids.tsv");

// [command, format, extra flags]: every resumable output.
const CASES: [string, "jsonl" | "tsv" | "npy", string[]][] = [
  ["embed", "jsonl", []], ["embed", "tsv", []], ["embed", "npy", []],
  ["classify", "jsonl", []], ["classify", "tsv", []], ["tokenize", "tsv", []],
];

test("--shard 1/N..N/N + germ merge = the plain run, byte for byte (N = 1, 3, 5, 30; batch sizes 1, 4)", async () => {
  for (const [cmd, format, extra] of CASES) {
    const name = (s: string) => path(`${cmd}-${s}.${format}`);
    const plain = name("plain");
    const r = await germ([cmd, FASTA, "-m", "m", "-f", format, "-o", plain, "-b", "4", ...extra]);
    assert.equal(r.code, 0, r.err);
    for (const n of [1, 3, 5, 30]) {
      for (const b of ["1", "4"]) {
        const shards = Array.from({ length: n }, (_, i) => name(`s${i + 1}of${n}b${b}`));
        for (const [i, s] of shards.entries()) {
          const q = await germ([cmd, FASTA, "-m", "m", "-f", format, "-o", s, "-b", b, "--shard", `${i + 1}/${n}`, ...extra]);
          assert.equal(q.code, 0, q.err);
        }
        // The shards in any order.
        const merged = name(`merged${n}b${b}`);
        const m = await germ(["merge", merged, ...shards.reverse()]);
        assert.equal(m.code, 0, m.err);
        assert.match(m.err, new RegExp(`merged 23 rows of ${n} shard files`));
        assert.ok(bytes(merged).equals(bytes(plain)), `${cmd} ${format} ${n} shards, batch ${b}`);
        if (format === "npy") assert.equal(readFileSync(sidecar(merged), "utf8"), readFileSync(sidecar(plain), "utf8"));
      }
    }
  }
  // A shard's own rows: records k with k mod N = i - 1, with their index.
  const s = path("shard-look.jsonl");
  assert.equal((await germ(["embed", FASTA, "-m", "m", "-o", s, "--shard", "2/10"])).code, 0);
  assert.deepEqual(readFileSync(s, "utf8").trimEnd().split("\n").map((l) => [JSON.parse(l).index, JSON.parse(l).id]), [[1, "r1"], [11, "r11"], [21, "r21"]]);
  const t = path("shard-look.tsv");
  assert.equal((await germ(["embed", PLAIN, "-m", "m", "-f", "tsv", "-o", t, "--shard", "3/10"])).code, 0);
  assert.deepEqual(readFileSync(t, "utf8").split("\n").map((l) => l.split("\t").slice(0, 2).join(" ")), ["index id", "2 seq3", "12 seq13", "22 seq23", ""]);
});

test("--resume after a cut at any byte (a kill mid-write) gives the plain run's bytes, sharded or not", async () => {
  let cuts = 0;
  for (const [cmd, format, extra] of CASES) {
    for (const shard of [undefined, "2/3"]) {
      const name = (s: string) => path(`${cmd}-r${shard ? "s" : ""}-${s}.${format}`);
      const full = name("full");
      const args = (o: string, b = "4") => [cmd, FASTA, "-m", "m", "-f", format, "-o", o, "-b", b, ...(shard ? ["--shard", shard] : []), ...extra];
      assert.equal((await germ(args(full))).code, 0);
      const size = statSync(full).size;
      const fullIds = format === "npy" ? readFileSync(sidecar(full)) : undefined;
      // Every byte for text; for NPY a kill leaves a header counting k rows, rows (maybe half of another batch)
      // after them, and up to a batch more of ids, the last maybe half written.
      const points = format === "npy" ? [0, 1, 2, 3, 5, 7] : Array.from({ length: Math.ceil((size + 1) / 5) }, (_, i) => Math.min(size, 5 * i + (cuts % 5)));
      for (const k of points) {
        const part = name(`part${k}`);
        if (format === "npy") {
          const rows = shard ? 8 : 23;
          if (k > rows) continue;
          const stop = path(`${cmd}-stop.npy`);
          assert.equal((await germ(args(stop, "1"))).code, 0);
          const b = bytes(stop), hlen = 10 + b.readUInt16LE(8);
          const old = b.subarray(0, hlen).toString("latin1");
          const head = Buffer.from(old.replace(/\(\d+, /, `(${k}, `).replace(/ *\n$/, "").padEnd(hlen - 1, " ") + "\n", "latin1");
          assert.equal(head.length, hlen);
          const extraBytes = Math.min(b.length - hlen - 12 * k, 12 + 5);
          writeFileSync(part, Buffer.concat([head, b.subarray(hlen, hlen + 12 * k + extraBytes)]));
          const ids = readFileSync(sidecar(stop), "utf8").split("\n");
          writeFileSync(sidecar(part), ids.slice(0, Math.min(k + 1, rows)).join("\n") + (k + 1 < rows ? "\n" + ids[k + 1]!.slice(0, 1) : "\n"));
        } else {
          writeFileSync(part, bytes(full).subarray(0, k));
        }
        const r = await germ([...args(part, k % 2 ? "3" : "4"), "--resume"]);
        assert.equal(r.code, 0, `${cmd} ${format} cut at ${k}: ${r.err}`);
        assert.ok(bytes(part).equals(bytes(full)), `${cmd} ${format} ${shard ?? ""} cut at ${k}`);
        if (fullIds) assert.ok(readFileSync(sidecar(part)).equals(fullIds), `ids after cut at ${k}`);
        cuts++;
      }
      // A missing --out starts afresh; a complete one is left as it is.
      const none = name("none");
      assert.equal((await germ([...args(none), "--resume"])).code, 0);
      assert.ok(bytes(none).equals(bytes(full)));
      assert.equal((await germ([...args(none), "--resume"])).code, 0);
      assert.ok(bytes(none).equals(bytes(full)));
    }
  }
  assert.ok(cuts > 200, `${cuts} cuts`);
});

test("--resume refuses an --out from another input or another --shard setting; merge refuses missing, doubled and plain files", async () => {
  const a = path("other.jsonl");
  assert.equal((await germ(["embed", FASTA, "-m", "m", "-o", a])).code, 0);
  let r = await germ(["embed", PLAIN, "-m", "m", "-o", a, "--resume"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /--resume: row 1 of .*other\.jsonl is 'r0', but it would be record 1 of the input, 'seq1'; was it written from another input\?/);
  r = await germ(["embed", FASTA, "-m", "m", "-o", a, "--resume", "--shard", "1/2"]);
  assert.match(r.err, /line 1 has no record index: it was written without --shard; resume it the same way/);
  const s = path("s1.jsonl"), s2 = path("s2.jsonl"), s3 = path("s3.jsonl");
  for (const [i, f] of [s, s2, s3].entries()) assert.equal((await germ(["embed", FASTA, "-m", "m", "-o", f, "--shard", `${i + 1}/3`])).code, 0);
  r = await germ(["embed", FASTA, "-m", "m", "-o", s, "--resume", "--shard", "2/3"]);
  assert.match(r.err, /--resume: row 1 of .*s1\.jsonl is 'r0' \(record 1\), but it would be record 2 of the input, 'r1'/);
  r = await germ(["embed", FASTA, "-m", "m", "-o", a, "--resume", "--shard", "1/2", "-f", "tsv"]);
  assert.equal(r.code, 1);
  const shortIn = path("short.fa");
  writeFileSync(shortIn, ">r0\n" + RECORDS[0] + "\n");
  r = await germ(["embed", shortIn, "-m", "m", "-o", a, "--resume"]);
  assert.match(r.err, /holds 23 rows, but the input has only 1 records/);
  const out = path("m.jsonl");
  r = await germ(["merge", out, s, s3]);
  assert.equal(r.code, 1);
  assert.match(r.err, /merge: record 2 is in none of the shard files \(the next is record 3, in .*s3\.jsonl\): a shard is missing or unfinished/);
  r = await germ(["merge", out, s, s2, s3, s2]);
  assert.match(r.err, /merge: record 2 is in both .*s2\.jsonl and .*s2\.jsonl/);
  r = await germ(["merge", out, a]);
  assert.match(r.err, /merge: .*other\.jsonl: line 1 has no record index; merge takes the outputs of --shard runs/);
  writeFileSync(path("cut.jsonl"), readFileSync(s3, "utf8").slice(0, -3));
  r = await germ(["merge", out, s, s2, path("cut.jsonl")]);
  assert.match(r.err, /ends in an unfinished line: resume that shard first/);
});

test("usage errors name the flag: --shard, --resume, merge", async () => {
  const cases: [string[], RegExp][] = [
    [["embed", FASTA, "-m", "m", "--shard", "0/3"], /--shard must be i\/N with 1 ≤ i ≤ N \(e\.g\. --shard 2\/8\); got '0\/3'/],
    [["embed", FASTA, "-m", "m", "--shard", "4/3"], /--shard must be i\/N/],
    [["embed", FASTA, "-m", "m", "--shard", "x"], /--shard must be i\/N/],
    [["embed", FASTA, "-m", "m", "--resume"], /embed: --resume needs --out FILE/],
    [["outliers", FASTA, "-m", "m", "--shard", "1/2"], /outliers: --shard applies to embed, classify, predict, tokenize \(outliers' ALL line needs every sequence\)/],
    [["merge", "x.npy"], /merge: expected OUT and one or more shard files/],
    [["merge", "x.bin", "a.bin"], /merge: cannot tell the format from 'x.bin'/],
    [["merge", "x.npy", "x.npy"], /merge: 'x.npy' is both the output and a shard file/],
    [["merge", "x.npy", "a.npy", "-m", "m"], /merge: --model does not apply/],
    [["embed", FASTA, "-m", "m", "-q", "-v"], /--quiet and --verbose contradict each other/],
    [["embed", FASTA, "-m", "m", "--window", "0"], /--window must be an integer ≥ 1; got '0'/],
    [["embed", FASTA, "-m", "m", "--stride", "5"], /embed: --stride needs --window N/],
    [["embed", FASTA, "-m", "m", "--window", "9", "--window-unit", "kb"], /--window-unit must be one of tokens, bp; got 'kb'/],
    [["embed", FASTA, "-m", "m", "--window", "9", "--aggregate", "max"], /--aggregate must be one of mean; got 'max'/],
    [["embed", FASTA, "-m", "m", "--aggregate", "mean"], /embed: --aggregate needs --window N/],
    [["embed", FASTA, "-m", "m", "--per-token", "--window", "9"], /--per-token and --window exclude each other/],
    [["embed", FASTA, "-m", "m", "--per-token", "--pooling", "max"], /--per-token writes every token's vector, so --pooling does not apply/],
    [["embed", FASTA, "-m", "m", "--per-token", "-o", "x.jsonl", "--resume"], /embed: --resume needs one row per record; with --per-token/],
    [["embed", FASTA, "-m", "m", "--window", "9", "-o", "x.jsonl", "--resume"], /with --window \(without --aggregate\) a record has several/],
    [["classify", FASTA, "-m", "m", "--layer", "1"], /classify: --layer applies to embed only/],
    [["embed", FASTA, "-m", "m", "--layer", "x"], /--layer must be an integer \(0-based; negative counts from the end\); got 'x'/],
    [["embed", FASTA, "-m", "m", "--pooling", "sum"], /--pooling must be one of mean, cls, pooler, max/],
    [["embed", FASTA, "-m", "m", "--max-batch-tokens", "0"], /--max-batch-tokens must be an integer ≥ 1/],
    [["tokenize", FASTA, "-m", "m", "--max-batch-tokens", "64"], /tokenize: --max-batch-tokens applies to embed, classify, predict and outliers/],
  ];
  for (const [argv, re] of cases) {
    const r = await germ(argv);
    assert.equal(r.code, 2, argv.join(" "));
    assert.match(r.err, re);
  }
});

test("progress: tokens, tokens/s and ETA; warnings above the status line, which is drawn again", () => {
  const err: string[] = [];
  let t = 0;
  const p = createProgress({ write: (x: string) => err.push(x), isTTY: true, columns: 200 }, true, { now: () => t });
  p.stream(0, "sequences", { loaded: 0, total: 4 * 1024 * 1024 }, 0);
  t = 10_000;
  p.stream(1500, "sequences", { loaded: 1024 * 1024, total: 4 * 1024 * 1024 }, 250_000);
  assert.equal(err.at(-1), "\r\x1b[2K[######------------------] 25% 1.50k sequences, 250k tokens  25.0k tokens/s  ETA 30s  1.0 MB / 4.0 MB");
  p.warn("something odd");
  assert.deepEqual(err.slice(-3), ["\r\x1b[2K", "germ: warning: something odd\n", err.at(-4)!.slice(5)]);
  p.stream(1600, "sequences", { loaded: 1024 * 1024 }, 260_000);
  t = 20_000;
  p.stream(1700, "sequences", { loaded: 2 * 1024 * 1024 }, 300_000);
  assert.equal(err.at(-1), "\r\x1b[2K1.70k sequences, 300k tokens  15.0k tokens/s  2.0 MB read", "no ETA without the input size");
  assert.deepEqual([45, 187, 7500].map(fmtDuration), ["45s", "3m07s", "2h05m"]);
  // Off a terminal: no status line, warnings still; --quiet: nothing.
  const plain: string[] = [];
  const q = createProgress({ write: (x: string) => plain.push(x) }, false);
  q.stream(5, "sequences", { loaded: 1 }, 9);
  q.warn("w");
  assert.deepEqual(plain, ["germ: warning: w\n"]);
  const quiet: string[] = [];
  const z = createProgress({ write: (x: string) => quiet.push(x), isTTY: true }, true, { quiet: true });
  z.stream(5, "sequences", { loaded: 1 }, 9); z.warn("w"); z.note("n");
  assert.deepEqual(quiet, []);
});

test("--quiet, --verbose, tokens on the status line; library warnings in CLI syntax", async () => {
  const rna = path("rna.fa");
  writeFileSync(rna, ">u\nACGU\n>v\nACGTACGT\n");
  const softmax = () => console.warn('germ-js: m: config.json has no "attn_softmax"; using vanilla softmax (DNABERT-2). For GERM checkpoints pass { attnSoftmax: "softmax1" }.');
  let r = await germ(["embed", rna, "-m", "m"], { tty: true, onLoad: softmax });
  assert.equal(r.code, 0);
  assert.match(r.err, /germ: warning: m: config.json has no "attn_softmax"; using vanilla softmax \(DNABERT-2\)\. For GERM checkpoints pass --attn-softmax softmax1\.\n/);
  assert.match(r.err, /2\/2 sequences, 12 tokens/);
  assert.match(r.err, /germ: warning: 1 sequence contains 1 character outside ACGTN/);
  r = await germ(["embed", rna, "-m", "m", "--quiet"], { tty: true, onLoad: softmax });
  assert.equal(r.code, 0);
  assert.equal(r.err, "");
  r = await germ(["embed", rna, "-m", "m", "--verbose", "-b", "1", "--shard", "1/1"]);
  assert.match(r.err, /^germ: embed .*rna\.fa → stdout \(jsonl\); batch size 1; shard 1\/1; m on auto\n/);
  assert.match(r.err, /germ: batch 1: 1 sequences \(u … u\) in [\d.]+ s\ngerm: batch 2: 1 sequences \(v … v\)/);
  r = await germ(["embed", "nope.fa", "-m", "m", "--quiet"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^germ: cannot read input 'nope\.fa': no such file\n$/, "errors still print");
  assert.equal(cliWarning("sequence 0 has 5000 tokens (over 4096): attention time and memory grow with the square of the length; split long sequences into overlapping windows (e.g. 5–10 kbp) or set maxLength, and pass a `signal` to be able to cancel"),
    "sequence 0 has 5000 tokens (over 4096): attention time and memory grow with the square of the length; split long sequences into overlapping windows (e.g. 5–10 kbp) or set --max-length N (Ctrl-C stops after the current batch)");
  assert.equal(cliWarning("pass { dtype: \"q8\" } or { threads: 4 } or { unknownThing: 1 }"), "pass --dtype q8 or --threads 4 or { unknownThing: 1 }");
});

test("germ <command> --help: that command's flags and an example", async () => {
  for (const cmd of ["embed", "classify", "predict", "tokenize", "outliers", "quantize", "finetune", "merge"]) {
    const r = await germ([cmd, "--help"]);
    assert.equal(r.code, 0);
    assert.match(r.out, new RegExp(`^Usage: germ ${cmd} `));
    assert.match(r.out, new RegExp(`\nExample:\n  germ ${cmd} `));
    assert.doesNotMatch(r.out, /Commands:/, "not the global page");
  }
  const e = (await germ(["embed", "--help"])).out;
  for (const flag of ["--pooling", "--shard i/N", "--resume", "--quiet", "--format"]) assert.ok(e.includes(flag), flag);
  assert.ok(!(await germ(["tokenize", "-h"])).out.includes("--pooling"));
  assert.match((await germ(["--help"])).out, /Commands:/);
  assert.match((await germ(["frobnicate", "--help"])).out, /Commands:/);
});

test("classify on a CSV/TSV with labels: accuracy, macro F1 and MCC on stderr and in --metrics FILE.json", async () => {
  // Predicted (odd length = 1): 1 0 1 0 1 1; labels: 1 0 0 0 1 0. TP 2, FP 2, TN 2, FN 0: accuracy 4/6,
  // F1 per class 4/6 and 4/6, MCC (2·2 − 2·0) / √(4·2·4·2) = 0.5.
  const seqs = ["ACG", "ACGT", "ACGTA", "AC", "A", "ACGTACG"], labels = [1, 0, 0, 0, 1, 0];
  const csv = path("labels.csv"), tsv = path("labels.tsv"), json = path("m.json");
  writeFileSync(csv, "sequence,label\n" + seqs.map((q, i) => `${q},${labels[i]}\n`).join(""));
  writeFileSync(tsv, "id\tsequence\tlabel\n" + seqs.map((q, i) => `s${i}\t${q}\t${labels[i] ? "odd" : "even"}\n`).join(""));
  for (const input of [csv, tsv]) {
    const r = await germ(["classify", input, "-m", "m", "--metrics", json, "-b", "4"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^germ: 6 labelled sequences: accuracy 0\.6667, macro F1 0\.6667, MCC 0\.5000\n$/);
    const m = JSON.parse(readFileSync(json, "utf8"));
    assert.deepEqual([m.n, m.classes, m.unlabelled], [6, 2, 0]);
    assert.ok(Math.abs(m.accuracy - 4 / 6) < 1e-12 && Math.abs(m.f1 - 4 / 6) < 1e-12 && Math.abs(m.mcc - 0.5) < 1e-12, JSON.stringify(m));
  }
  // A label the model never predicts counts as wrong; rows without a label are left out and counted.
  writeFileSync(tsv, "sequence\tlabel\nACG\todd\nAC\tmaybe\nACGT\t\n");
  let r = await germ(["classify", tsv, "-m", "m", "--metrics", json]);
  assert.match(r.err, /^germ: 2 labelled sequences \(1 without a label left out\): accuracy 0\.5000/);
  assert.equal(JSON.parse(readFileSync(json, "utf8")).classes, 3);
  // No labels: nothing on stderr; with --metrics an error. Usage errors name the flag.
  r = await germ(["classify", FASTA, "-m", "m"]);
  assert.equal(r.err, "");
  r = await germ(["classify", FASTA, "-m", "m", "--metrics", json]);
  assert.equal(r.code, 1);
  assert.match(r.err, /--metrics: the input has no labels/);
  r = await germ(["embed", FASTA, "-m", "m", "--metrics", json]);
  assert.equal(r.code, 2);
  assert.match(r.err, /embed: --metrics applies to classify and predict/);
  r = await germ(["classify", FASTA, "-m", "m", "--metrics", join(tmp, "no/such/m.json")]);
  assert.equal(r.code, 1);
  assert.match(r.err, /--metrics: cannot write '.*no\/such\/m\.json': no such directory/);
});

test("embed --out x.parquet: index, id, start, end and the float32 vector per row, read back with hyparquet", {
  skip: hyparquet ? false : "skipped: the hyparquet and hyparquet-writer packages are not installed",
}, async () => {
  const npy = path("pq.npy"), pq = path("pq.parquet");
  const n = await germ(["embed", FASTA, "-m", "m", "-f", "npy", "-o", npy]);
  assert.equal(n.code, 0, n.err);
  const ids = readFileSync(sidecar(npy), "utf8").trimEnd().split("\n");
  const b = bytes(npy), at = 10 + b.readUInt16LE(8);
  const want = new Float32Array(b.buffer.slice(b.byteOffset + at, b.byteOffset + b.length));
  const read = async (f: string) => {
    const file = await hyparquet.asyncBufferFromFile(f);
    const meta = await hyparquet.parquetMetadataAsync(file);
    return { meta, rows: await hyparquet.parquetReadObjects({ file }) as { index: bigint; id: string; start: bigint; end: bigint; embedding: number[] }[] };
  };
  for (const groupBytes of [32 << 20, 100]) {
    parquetSettings.groupBytes = groupBytes; // 100 bytes: a row group once 9 rows (3 batches of 4) are buffered
    const r = await germ(["embed", FASTA, "-m", "m", "-o", pq, "-b", "4"]); // .parquet: no -f needed
    parquetSettings.groupBytes = 32 << 20;
    assert.equal(r.code, 0, r.err);
    const { meta, rows } = await read(pq);
    assert.deepEqual(meta.row_groups.map((g: { num_rows: bigint }) => Number(g.num_rows)), groupBytes === 100 ? [12, 11] : [23]);
    assert.deepEqual(meta.schema.map((e: { name: string }) => e.name), ["root", "index", "id", "start", "end", "embedding", "list", "element"]);
    assert.deepEqual(rows.map((x) => x.index), RECORDS.map((_, i) => BigInt(i)));
    assert.deepEqual(rows.map((x) => x.id), ids.map((id) => (id === "r4 x" ? "r4\tx" : id)), "ids as they are (a tab stays a tab)");
    assert.deepEqual(rows.map((x) => [x.start, x.end]), RECORDS.map((q) => [0n, BigInt(q.length)]));
    assert.deepEqual(rows.flatMap((x) => x.embedding), [...want], "the float32 values exactly");
  }
  // Sharded: each shard has its records' indices, so shards concatenate and sort by index.
  const s2 = path("pq-2of3.parquet");
  assert.equal((await germ(["embed", FASTA, "-m", "m", "-o", s2, "--shard", "2/3"])).code, 0);
  assert.deepEqual((await read(s2)).rows.map((x) => Number(x.index)), [1, 4, 7, 10, 13, 16, 19, 22]);
  // Closed before any row (Ctrl-C during the first batch): a valid file with no row.
  const sink = await ParquetSink.open(path("e.parquet"), "test");
  await sink.close();
  assert.equal((await read(path("e.parquet"))).rows.length, 0);
  // Usage and path errors.
  const cases: [string[], number, RegExp][] = [
    [["embed", FASTA, "-m", "m", "-f", "parquet"], 2, /embed: --format parquet needs --out FILE\.parquet/],
    [["classify", FASTA, "-m", "m", "-f", "parquet", "-o", pq], 2, /classify: --format parquet holds one vector per sequence, so it is only for embed/],
    [["embed", FASTA, "-m", "m", "-o", join(tmp, "no/such/x.parquet")], 1, /cannot write '.*no\/such\/x\.parquet': no such directory/],
  ];
  for (const [argv, code, re] of cases) {
    const r = await germ(argv);
    assert.equal(r.code, code, argv.join(" "));
    assert.match(r.err, re);
  }
});

type PqRow = { index: bigint; id: string; start: bigint; end: bigint; embedding: number[] };
async function readParquet(f: string): Promise<PqRow[]> {
  const file = await hyparquet.asyncBufferFromFile(f);
  return await hyparquet.parquetReadObjects({ file }) as PqRow[];
}
/** Rows as comparable values: the vectors as their float32 bytes (bit for bit). */
const pqRows = async (f: string) => (await readParquet(f)).map((r) => ({ ...r, embedding: Buffer.from(Float32Array.from(r.embedding).buffer).toString("hex") }));
const withSettings = async <T>(groupBytes: number, sliceRows: number, fn: () => Promise<T>) => {
  Object.assign(parquetSettings, { groupBytes, sliceRows });
  try { return await fn(); } finally { Object.assign(parquetSettings, { groupBytes: 32 << 20, sliceRows: 1024 }); }
};

test("embed --out x.parquet --resume: after half the input, after Ctrl-C, sharded or not, the rows of one plain run", {
  skip: hyparquet ? false : "skipped: the hyparquet and hyparquet-writer packages are not installed",
}, async () => {
  const half = path("half.fa");
  writeFileSync(half, readFileSync(FASTA, "utf8").split("\n").slice(0, 2 * 11).join("\n") + "\n"); // records 0…10
  // Small row groups (100 bytes: 9 rows) and slices (5 rows), so the kept rows are copied across several of each.
  for (const [groupBytes, sliceRows] of [[32 << 20, 1024], [100, 5]] as const) {
    await withSettings(groupBytes, sliceRows, async () => {
      for (const shard of [undefined, "2/3"]) {
        const sh = shard ? ["--shard", shard] : [];
        const name = (s: string) => path(`pq-r${shard ? "s" : ""}${groupBytes}-${s}.parquet`);
        const full = name("full");
        assert.equal((await germ(["embed", FASTA, "-m", "m", "-o", full, "-b", "4", ...sh])).code, 0);
        const want = await pqRows(full);
        assert.equal(want.length, shard ? 8 : 23);
        // Interrupted after half the input: --resume on all of it (another batch size) goes on after row 11.
        const part = name("half");
        assert.equal((await germ(["embed", half, "-m", "m", "-o", part, "-b", "4", ...sh])).code, 0);
        assert.equal((await readParquet(part)).length, shard ? 4 : 11);
        const r = await germ(["embed", FASTA, "-m", "m", "-o", part, "-b", "3", "--resume", "-v", ...sh]);
        assert.equal(r.code, 0, r.err);
        assert.match(r.err, new RegExp(`--resume: .* holds ${shard ? 4 : 11} rows; going on after them`));
        assert.deepEqual(await pqRows(part), want, `${shard ?? "plain"}, groups of ${groupBytes} bytes`);
        assert.ok(!existsSync(`${part}.partial`));
        // Ctrl-C in the 3rd batch: a closed file with 2 batches' rows, which --resume completes.
        const ac = new AbortController();
        const cut = name("ctrl-c");
        const c = await germ(["embed", FASTA, "-m", "m", "-o", cut, "-b", "2", ...sh], { interrupt: ac.signal, onEmbed: (n) => n === 3 && ac.abort() });
        assert.equal(c.code, 130, c.err);
        assert.equal((await readParquet(cut)).length, 6);
        assert.equal((await germ(["embed", FASTA, "-m", "m", "-o", cut, "--resume", ...sh])).code, 0);
        assert.deepEqual(await pqRows(cut), want);
        // A finished file stays as it is (not rewritten); a missing one starts afresh.
        const before = bytes(full);
        assert.equal((await germ(["embed", FASTA, "-m", "m", "-o", full, "--resume", ...sh])).code, 0);
        assert.ok(bytes(full).equals(before));
        const none = name("none");
        assert.equal((await germ(["embed", FASTA, "-m", "m", "-o", none, "--resume", ...sh])).code, 0);
        assert.deepEqual(await pqRows(none), want);
      }
    });
  }
});

test("embed --out x.parquet --resume refuses a broken file, another --shard setting and another input", {
  skip: hyparquet ? false : "skipped: the hyparquet and hyparquet-writer packages are not installed",
}, async () => {
  const full = path("pq-bad-full.parquet");
  assert.equal((await germ(["embed", FASTA, "-m", "m", "-o", full])).code, 0);
  // A file without its footer (what a kill leaves; germ leaves it in x.parquet.partial) and an empty one.
  for (const [k, cut] of [[0, 0], [1, 200], [2, statSync(full).size - 3]] as const) {
    const bad = path(`pq-bad${k}.parquet`);
    writeFileSync(bad, bytes(full).subarray(0, cut));
    const r = await germ(["embed", FASTA, "-m", "m", "-o", bad, "--resume"]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, new RegExp(`^germ: --resume: .*pq-bad${k}\\.parquet is not a readable Parquet file \\(.*\\); a run that was killed leaves its rows in .*pq-bad${k}\\.parquet\\.partial, without the footer`));
    assert.equal(bytes(bad).length, cut, "left as it was");
  }
  const other = path("pq-other.parquet");
  writeFileSync(other, "not parquet at all");
  assert.match((await germ(["embed", FASTA, "-m", "m", "-o", other, "--resume"])).err, /is not a readable Parquet file/);
  const s = path("pq-bad-s2.parquet");
  assert.equal((await germ(["embed", FASTA, "-m", "m", "-o", s, "--shard", "2/3"])).code, 0);
  let r = await germ(["embed", FASTA, "-m", "m", "-o", s, "--resume"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /--resume: .*pq-bad-s2\.parquet: row 1 is record 2: it was written with --shard/);
  r = await germ(["embed", FASTA, "-m", "m", "-o", full, "--resume", "--shard", "1/3"]);
  assert.match(r.err, /--resume: row 2 of .*pq-bad-full\.parquet is 'r1' \(record 2\), but it would be record 4 of the input, 'r3'/);
  r = await germ(["embed", PLAIN, "-m", "m", "-o", full, "--resume"]);
  assert.match(r.err, /--resume: row 1 of .*pq-bad-full\.parquet is 'r0', but it would be record 1 of the input, 'seq1'/);
  // The tab in 'r4\tx' is kept in Parquet, and matches the input's id as read.
  assert.equal((await germ(["embed", FASTA, "-m", "m", "-o", full, "--resume"])).code, 0);
});

test("germ merge out.parquet shards... = the plain run's rows (N = 1, 2, 3; several row groups); errors name the file", {
  skip: hyparquet ? false : "skipped: the hyparquet and hyparquet-writer packages are not installed",
}, async () => {
  const plain = path("pq-m-plain.parquet");
  assert.equal((await germ(["embed", FASTA, "-m", "m", "-o", plain, "-b", "4"])).code, 0);
  const want = await pqRows(plain);
  for (const [groupBytes, sliceRows] of [[32 << 20, 1024], [100, 3]] as const) {
    await withSettings(groupBytes, sliceRows, async () => {
      for (const n of [1, 2, 3]) {
        const shards = Array.from({ length: n }, (_, i) => path(`pq-m-${groupBytes}-s${i + 1}of${n}.parquet`));
        for (const [i, s] of shards.entries()) assert.equal((await germ(["embed", FASTA, "-m", "m", "-o", s, "-b", "1", "--shard", `${i + 1}/${n}`])).code, 0);
        const merged = path(`pq-m-${groupBytes}-merged${n}.parquet`);
        const m = await germ(["merge", merged, ...shards.reverse()]);
        assert.equal(m.code, 0, m.err);
        assert.match(m.err, new RegExp(`merged 23 rows of ${n} shard files`));
        assert.deepEqual(await pqRows(merged), want, `${n} shards, groups of ${groupBytes} bytes`);
      }
    });
  }
  const s = (i: number) => path(`pq-m-${32 << 20}-s${i}of3.parquet`);
  const out = path("pq-m-bad.parquet");
  let r = await germ(["merge", out, s(1), s(3)]);
  assert.equal(r.code, 1);
  assert.match(r.err, /merge: record 2 is in none of the shard files \(the next is record 3, in .*s3of3\.parquet\): a shard is missing or unfinished/);
  const cut = path("pq-m-cut.parquet");
  writeFileSync(cut, bytes(s(2)).subarray(0, 100));
  r = await germ(["merge", out, s(1), cut, s(3)]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^germ: merge: .*pq-m-cut\.parquet is not a readable Parquet file/);
  r = await germ(["merge", out, s(1), s(2), s(3), s(2)]);
  assert.match(r.err, /merge: record 2 is in both .*s2of3\.parquet and .*s2of3\.parquet/);
  r = await germ(["merge", path("x.npy"), s(1)]);
  assert.equal(r.code, 1, "an NPY merge of a Parquet shard");
});

// --window / --per-token / --layer / --pooling max / --max-batch-tokens against the library on the tiny checkpoint.
test("embed --window, --aggregate mean, --per-token, --layer, --pooling max, --max-batch-tokens: the library's numbers, shardable", {
  skip: !fixtures ? NO_FIXTURES : !haveModel ? "skipped: build/src/pipeline/germ-model.js not built yet" : false,
}, async () => {
  const { GermModel } = await import("../src/pipeline/germ-model.js");
  const { aggregateWindows } = await import("../src/pipeline/windows.js");
  const dir = join(fixtures!, "tiny-softmax1");
  const model = await GermModel.fromPretrained(dir, { device: "reference" });
  const seqs = Array.from({ length: 7 }, (_, i) => bases(15 + i * 23, 300 + i));
  const fa = path("w.fa");
  writeFileSync(fa, seqs.map((q, i) => `>w${i}\n${q}\n`).join(""));
  const loads: object[] = [];
  const load = async (_d: string, o: { batchSize?: number; maxBatchTokens?: number }) => {
    loads.push({ batchSize: o.batchSize, maxBatchTokens: o.maxBatchTokens });
    return await GermModel.fromPretrained(dir, { device: "reference", batchSize: o.batchSize, maxBatchTokens: o.maxBatchTokens }) as unknown as CliModel;
  };
  const cli = async (argv: string[]) => {
    const stdout = new Out(), err: string[] = [];
    const code = await runCli(argv, { stdout, stderr: { write: (x: string) => err.push(x) }, stdin: async function* () {}, version: "0", progress: false }, load);
    return { code, out: Buffer.concat(stdout.chunks).toString("utf8"), err: err.join("") };
  };
  const vec = (v: Float32Array) => [...v].map((x) => Number(formatF32(x)));
  try {
    // Windows in bp: one row per window, as embedWindows gives them.
    let r = await cli(["embed", fa, "-m", dir, "--window", "40", "--stride", "25", "--window-unit", "bp", "--pooling", "max", "--layer", "-2", "-b", "3"]);
    assert.equal(r.code, 0, r.err);
    const want = await model.embedWindows(seqs, { window: { size: 40, stride: 25, unit: "bp" }, pooling: "max", layer: -2 });
    const got = r.out.trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(got.map((g) => [g.id, g.start, g.end]), want.map((w) => [`w${w.seq}`, w.start, w.end]));
    assert.deepEqual(got.map((g) => g.embedding), want.map((w) => vec(w.vector)));
    assert.ok(want.length > seqs.length + 5);
    // Token windows, aggregated: one row per record.
    r = await cli(["embed", fa, "-m", dir, "--window", "8", "--aggregate", "mean", "-f", "tsv"]);
    assert.equal(r.code, 0, r.err);
    const agg = aggregateWindows(await model.embedWindows(seqs, { window: { size: 8, unit: "tokens" } }), { records: seqs.length });
    assert.deepEqual(r.out.trimEnd().split("\n").slice(1).map((l) => l.split("\t").slice(1).map(Number)), agg.map(vec));
    // Per token, NPY: every token's vector; the sidecar has id, start, end, token.
    const npy = path("tok.npy");
    r = await cli(["embed", fa, "-m", dir, "--per-token", "--layer", "0", "-f", "npy", "-o", npy]);
    assert.equal(r.code, 0, r.err);
    const toks = await model.embedTokens(seqs, { layer: 0 });
    const side = readFileSync(sidecar(npy), "utf8").trimEnd().split("\n");
    assert.deepEqual(side, toks.flatMap((t, i) => t.tokens.map((tok, j) => `w${i}\t${t.offsets[j]![0]}\t${t.offsets[j]![1]}\t${tok}`)));
    const b = bytes(npy), at = 10 + b.readUInt16LE(8);
    assert.deepEqual(new Float32Array(b.buffer.slice(b.byteOffset + at, b.byteOffset + b.length)), Float32Array.from(toks.flatMap((t) => [...t.vectors])));
    // --max-batch-tokens: the same bytes; alone, the model gets no batch size (the budget decides).
    const plain = await cli(["embed", fa, "-m", dir, "--pooling", "max"]);
    loads.length = 0;
    r = await cli(["embed", fa, "-m", dir, "--pooling", "max", "--max-batch-tokens", "64"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, plain.out);
    assert.deepEqual(loads, [{ batchSize: undefined, maxBatchTokens: 64 }]);
    // Windows sharded and merged (rows of one record stay together) = the plain run, NPY and TSV.
    for (const format of ["npy", "tsv"]) {
      const f = (x: string) => path(`win-${x}.${format}`);
      const args = ["embed", fa, "-m", dir, "--window", "30", "--window-unit", "bp", "-f", format];
      assert.equal((await cli([...args, "-o", f("plain")])).code, 0);
      for (const i of [1, 2, 3]) assert.equal((await cli([...args, "-o", f(`s${i}`), "--shard", `${i}/3`, "-b", "2"])).code, 0);
      const m = await germ(["merge", f("merged"), f("s3"), f("s1"), f("s2")]);
      assert.equal(m.code, 0, m.err);
      assert.ok(bytes(f("merged")).equals(bytes(f("plain"))), format);
      if (format === "npy") assert.equal(readFileSync(sidecar(f("merged")), "utf8"), readFileSync(sidecar(f("plain")), "utf8"));
    }
    r = await cli(["embed", fa, "-m", dir, "--layer", "2"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /--layer 2: the model has 2 layers \(0…1, or -2…-1 from the end\)/);
  } finally {
    model.dispose();
  }
});

// The compiled CLI on the tiny checkpoint: SIGKILL after k rows, then --resume; and shards + merge.
const numpy = (() => { try { execFileSync("python3", ["-c", "import numpy"], { stdio: "ignore" }); return true; } catch { return false; } })();

function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((res) => execFile(process.execPath, [main, ...args], (err, _o, stderr) => res({ code: err ? Number(err.code ?? 1) : 0, stderr })));
}

test("end to end: SIGKILL after k rows then --resume, and 3 shards + merge, equal the plain run (NPY and JSONL)", {
  skip: !fixtures ? NO_FIXTURES : !haveModel ? "skipped: build/src/pipeline/germ-model.js not built yet" : false,
}, async () => {
  const model = join(fixtures!, "tiny-softmax1");
  const big = path("e2e.fa");
  writeFileSync(big, Array.from({ length: 60 }, (_, i) => `>e${i}\n${bases(20 + (i % 40) * 3, 100 + i)}\n`).join(""));
  for (const format of ["npy", "jsonl"] as const) {
    const f = (s: string) => path(`e2e-${s}.${format}`);
    const base = ["embed", big, "--model", model, "--device", "reference", "-f", format, "-b", "2"];
    const p = await cli([...base, "-o", f("plain")]);
    assert.equal(p.code, 0, p.stderr);
    for (const i of [1, 2, 3]) assert.equal((await cli([...base, "-o", f(`s${i}`), "--shard", `${i}/3`])).code, 0);
    const m = await cli(["merge", f("merged"), f("s1"), f("s2"), f("s3")]);
    assert.equal(m.code, 0, m.stderr);
    assert.ok(bytes(f("merged")).equals(bytes(f("plain"))), `${format}: merged shards`);
    // Kill when k rows are out (k differs per format), then resume.
    const k = format === "npy" ? 17 : 29;
    const killed = f("killed");
    const child = spawn(process.execPath, [main, ...base, "-o", killed], { stdio: "ignore" });
    const exited = new Promise((res) => child.on("exit", res));
    const rows = () => (!existsSync(killed) ? 0 : format === "npy"
      ? (statSync(killed).size > 10 ? Number(/\((\d+),/.exec(readFileSync(killed).subarray(0, 128).toString("latin1"))?.[1] ?? 0) : 0)
      : readFileSync(killed, "utf8").split("\n").length - 1);
    for (let t = 0; rows() < k && t < 2000 && child.exitCode === null; t++) await new Promise((r) => setTimeout(r, 5));
    child.kill("SIGKILL");
    await exited;
    const at = rows();
    assert.ok(at < 60, `killed before the end (${at} rows)`);
    if (format === "npy" && numpy) {
      const shape = execFileSync("python3", ["-c", "import numpy,sys; print(numpy.load(sys.argv[1]).shape[0])", killed], { encoding: "utf8" });
      assert.equal(Number(shape), at, "the interrupted NPY loads with the rows its header counts");
    }
    const r = await cli([...base, "-o", killed, "--resume"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(bytes(killed).equals(bytes(f("plain"))), `${format}: killed at ${at} rows and resumed`);
    if (format === "npy") assert.equal(readFileSync(sidecar(killed), "utf8"), readFileSync(sidecar(f("plain")), "utf8"));
  }
});

