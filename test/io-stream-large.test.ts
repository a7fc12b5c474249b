// Genome-scale input in bounded memory: a generated 200 MB FASTQ, plain and gzip, through readSequences and through
// `germ embed --format npy --out` (fake model), with the peak RSS sampled while it streams.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { createGzip } from "node:zlib";
import { readSequences } from "../src/io/seq-stream.js";
import { runCli, type CliModel } from "../src/cli/commands.js";

const MB = 1e6;
const SIZE = 200 * MB;
const LIMIT = 300 * MB;
const tmp = mkdtempSync(join(tmpdir(), "germ-large-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const plain = join(tmp, "big.fq"), gz = join(tmp, "big.fq.gz");

/** FASTQ records of 150 bases until `size` bytes, as 1 MB chunks (the file is never whole in memory). */
function* fastq(size: number): Generator<string> {
  let x = 12345, written = 0, n = 0;
  const pool = Array.from({ length: 512 }, () => Array.from({ length: 150 }, () => "ACGT"[(x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 30]).join(""));
  const qual = "I".repeat(150);
  while (written < size) {
    let chunk = "";
    while (chunk.length < MB) { chunk += `@read${n} length=150\n${pool[(n * 37) % 512]}\n+\n${qual}\n`; n++; }
    written += chunk.length;
    yield chunk;
  }
}

let peak = 0;
const sample = () => { peak = Math.max(peak, process.memoryUsage().rss); };

test("a 200 MB FASTQ streams in bounded memory, plain and gzip", { timeout: 120_000 }, async (t) => {
  await pipeline(Readable.from(fastq(SIZE)), createWriteStream(plain));
  await pipeline(createReadStream(plain), createGzip({ level: 1 }), createWriteStream(gz));
  let expected = -1;
  for (const file of [plain, gz]) {
    peak = 0;
    const t0 = performance.now();
    let n = 0, bases = 0;
    for await (const r of readSequences(createReadStream(file, { highWaterMark: 1 << 20 }), { name: file })) {
      if ((++n & 1023) === 0) sample();
      bases += r.sequence.length;
    }
    sample();
    const s = (performance.now() - t0) / 1000;
    const bytes = statSync(file).size;
    t.diagnostic(`${file.endsWith(".gz") ? "gzip" : "plain"}: ${n} records, ${(bytes / MB).toFixed(0)} MB in ${s.toFixed(2)} s = ` +
      `${(bytes / MB / s).toFixed(0)} MB/s (${(statSync(plain).size / MB / s).toFixed(0)} MB/s of FASTQ), peak RSS ${(peak / MB).toFixed(0)} MB`);
    if (expected < 0) expected = n;
    assert.equal(n, expected);
    assert.equal(bases, n * 150);
    assert.ok(peak < LIMIT, `peak RSS ${(peak / MB).toFixed(0)} MB ≥ ${LIMIT / MB} MB`);
  }
});

test("germ embed --format npy --out on the 200 MB gzip FASTQ: bounded memory, every row and id written", { timeout: 120_000 }, async (t) => {
  const model: CliModel = {
    tokenizer: { encode: () => ({ ids: [], tokens: [] }) },
    async embed(texts) { sample(); return texts.map((s) => new Float32Array([s.length, s.charCodeAt(0)])); },
    async classify() { throw new Error("unused"); },
    async outliers() { throw new Error("unused"); },
    async fineTune() { throw new Error("unused"); },
    async saveAdapter() {}, async save() {}, async quantize() { throw new Error("not used"); },
    config: { numHiddenLayers: 1 },
    dispose() {},
  };
  const out = join(tmp, "big.npy");
  const sink = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;
  peak = 0;
  const t0 = performance.now();
  const code = await runCli(["embed", gz, "--model", "fake", "-f", "npy", "-o", out, "-b", "512"], {
    stdout: sink, stderr: { write: (s: string) => { throw new Error(s); } }, stdin: () => { throw new Error("no stdin"); }, version: "0",
  }, async () => model);
  assert.equal(code, 0);
  const bytes = readFileSync(out);
  const hlen = bytes.readUInt16LE(8);
  const rows = Number(/'shape': \((\d+), 2\)/.exec(bytes.subarray(10, 10 + hlen).toString("latin1"))![1]);
  assert.equal(bytes.length, 10 + hlen + rows * 8);
  assert.ok(rows > 600_000);
  const ids = readFileSync(join(tmp, "big.ids.tsv"), "utf8");
  assert.equal(ids.length - ids.replaceAll("\n", "").length, rows);
  assert.ok(ids.startsWith("read0\nread1\n") && ids.endsWith(`read${rows - 1}\n`));
  t.diagnostic(`embed: ${rows} rows in ${((performance.now() - t0) / 1000).toFixed(2)} s, peak RSS ${(peak / MB).toFixed(0)} MB`);
  assert.ok(peak < LIMIT, `peak RSS ${(peak / MB).toFixed(0)} MB ≥ ${LIMIT / MB} MB`);
});
