// readSequences: the streaming reader gives what parseSequences gives, however the bytes are cut; gzip (one member,
// several, bgzip blocks) through node:zlib and DecompressionStream; binary and other compressed input refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deflateRawSync, gzipSync } from "node:zlib";
import { parseSequences, type SequenceRecord } from "../src/io/fasta.js";
import { readSequences, readSequenceChunks, type ReadSequencesOptions } from "../src/io/seq-stream.js";
import { AlphabetCheck } from "../src/io/seq-check.js";
import { FormatError } from "../src/errors.js";

const enc = (s: string) => new TextEncoder().encode(s);

/** `bytes` as a stream of pieces of `size` bytes (the last one shorter), counting how it is closed. */
function pieces(bytes: Uint8Array, size: number, log = { returned: 0, read: 0 }): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]() {
      let at = 0;
      return {
        async next() {
          if (at >= bytes.length) return { done: true, value: undefined };
          log.read = at + size;
          const value = bytes.slice(at, (at += size));
          return { done: false, value };
        },
        async return() { log.returned++; return { done: true, value: undefined }; },
      };
    },
  };
}

async function collect(src: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>, opts: ReadSequencesOptions = {}) {
  const out: SequenceRecord[] = [];
  for await (const r of readSequences(src, opts)) out.push(r);
  return out;
}

async function rejects(p: Promise<unknown>, re: RegExp) {
  await assert.rejects(p, (e: unknown) => e instanceof FormatError && re.test(e.message) || assert.fail(`${(e as Error).message} !~ ${re}`));
}

/** BGZF (bgzip): ≤ 64 KiB gzip members, each naming its size in a 'BC' extra field, then the empty EOF block. */
function bgzf(data: Uint8Array, block = 65280): Uint8Array {
  const parts: Uint8Array[] = [];
  const member = (raw: Uint8Array) => {
    const body = deflateRawSync(raw);
    const out = new Uint8Array(18 + body.length + 8);
    const v = new DataView(out.buffer);
    out.set([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 66, 67, 2, 0]);
    v.setUint16(16, out.length - 1, true);
    out.set(body, 18);
    v.setUint32(18 + body.length, crc32(raw), true);
    v.setUint32(22 + body.length, raw.length, true);
    parts.push(out);
  };
  for (let i = 0; i < data.length; i += block) member(data.subarray(i, i + block));
  member(new Uint8Array(0));
  return Buffer.concat(parts);
}

function crc32(b: Uint8Array): number {
  let c = ~0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

const SAMPLES: [string, string][] = [
  ["fasta", ";c\r\n>chr1 some description\r\nACGT\r\nacgt\r\n\r\n>chr2\r\nGGGG\r\nCC\r\n>\nTT"],
  ["fastq", "@r1 extra\nACGT\n+\nIIII\n\n@r2\rGG\r+r2\rII\r"],
  ["plain", "\uFEFFACGT\n\n  TTGA  \r\nGG"],
  ["csv", 'id,sequence,label\r\nx,"AC\nGT",1\ny,TT,0\n"z ""q""",GG,1\n'],
  ["tsv", 'name\tSequence\tlabel\n"a\tb"\tACGT\t1\nc\t"TT\nGG"\t0\n'],
  ["utf8", ">é read ü\nACGT\n>ß\nGG\n"],
];

test("readSequences gives parseSequences' records (plus their lines), however the bytes are cut", async () => {
  for (const [name, text] of SAMPLES) {
    const want = parseSequences(text);
    assert.ok(want.length >= 2, name);
    for (const size of [1, 2, 3, 7, 64, 1 << 20]) {
      const got = await collect(pieces(enc(text), size));
      assert.deepEqual(got.map(({ line: _, ...r }) => r), want.map(({ line: _, ...r }) => r), `${name}, pieces of ${size}`);
      assert.ok(got.every((r) => typeof r.line === "number"), name);
    }
  }
  const recs = await collect(pieces(enc(SAMPLES[0]![1]), 5));
  assert.deepEqual(recs.map((r) => r.line), [2, 6, 9]);
  assert.deepEqual((await collect(pieces(enc(SAMPLES[4]![1]), 3))).map((r) => [r.id, r.sequence, r.line]), [["a\tb", "ACGT", 2], ["c", "TTGG", 3]]);
});

test("errors name the line, also after quoted line breaks, with the name in front; earlier records come out first", async () => {
  const csv = 'sequence,label\nAC,1\n"GG\n\nTT",0\nACGT\n';
  for (const size of [1, 4, 100]) {
    await rejects(collect(pieces(enc(csv), size), { name: "x.csv" }), /^x\.csv: line 6: CSV row has 1 fields, header has 2$/);
  }
  await rejects(collect(pieces(enc("sequence\tlabel\nAC\t1\n\t0\n"), 2)), /^line 3: TSV row has an empty sequence$/);
  await rejects(collect(pieces(enc("@r1\nACGT\n+\nIIII\n@r2\nAC\n+\n"), 3)), /^line 8: FASTQ quality has 0 characters, sequence has 2$/);
  await rejects(collect(pieces(enc(">a\nAC\n>b\n"), 1), { format: "fasta" }), /^line 3: FASTA record 'b' has no sequence$/);
  await rejects(collect(pieces(enc(""), 1), { name: "e.fa" }), /^e\.fa: line 1: input is empty/);
  await rejects(collect(pieces(enc(" \n\n"), 1)), /input is empty/);
  const seen: string[] = [];
  await assert.rejects(async () => { for await (const r of readSequences(pieces(enc(">a\nAC\n>b\nGG\n>c\n"), 64))) seen.push(r.id); }, /line 5/);
  assert.deepEqual(seen, ["a", "b"]);
});

test("numberFrom continues ids across inputs; chunks never empty; stopping early closes the source", async () => {
  assert.deepEqual((await collect(pieces(enc("AC\nGT\n"), 2), { numberFrom: 5 })).map((r) => r.id), ["seq6", "seq7"]);
  for await (const chunk of readSequenceChunks(pieces(enc("A\nC\nG\nT\n".repeat(100)), 10))) assert.ok(chunk.length > 0);
  const log = { returned: 0, read: 0 };
  const big = enc(">a\nACGT\n".repeat(100_000));
  for await (const r of readSequences(pieces(big, 4096, log))) { assert.equal(r.id, "a"); break; }
  assert.equal(log.returned, 1);
  assert.ok(log.read < 128 * 1024, `read ${log.read} bytes for one record`);
  let x = 1;
  const random = Array.from({ length: 20_000 }, (_, i) => `>r${i}\n${Array.from({ length: 60 }, () => "ACGT"[(x = (x * 69069 + 1) >>> 0) >>> 30]).join("")}\n`);
  const gz = gzipSync(enc(random.join("")));
  for (const impl of ["node", "web"] as const) {
    const glog = { returned: 0, read: 0 };
    for await (const _ of readSequences(pieces(gz, 1024, glog), { gunzip: impl })) break;
    assert.equal(glog.returned, 1, impl);
    assert.ok(glog.read < gz.length / 2, `${impl}: read ${glog.read} of ${gz.length} bytes`);
  }
  await rejects(collect(pieces(enc("x\0y"), 1)), /binary/); // also closed after an error
});

test("web ReadableStream sources", async () => {
  const stream = new Blob([gzipSync(enc(">a\nACGT\n"))]).stream();
  assert.deepEqual((await collect(stream)).map((r) => r.sequence), ["ACGT"]);
});

test("gzip: one member, concatenated members, bgzip blocks, gzip of gzip; node:zlib and DecompressionStream", async () => {
  const text = Array.from({ length: 3000 }, (_, i) => `@read${i} x\n${"ACGT".repeat(5 + (i % 40))}\n+\n${"I".repeat(4 * (5 + (i % 40)))}\n`).join("");
  const want = parseSequences(text).map((r) => r.id + r.sequence);
  const half = text.indexOf("@read1500");
  const forms: [string, Uint8Array, ("node" | "web")[]][] = [
    ["single", gzipSync(enc(text)), ["node", "web"]],
    ["members", Buffer.concat([gzipSync(enc(text.slice(0, half))), gzipSync(enc(text.slice(half)))]), ["node"]],
    ["bgzf", bgzf(enc(text)), ["node", "web"]],
    ["bgzf small blocks", bgzf(enc(text), 1000), ["node", "web"]],
    ["gzip of gzip", gzipSync(gzipSync(enc(text))), ["node"]],
  ];
  for (const [name, bytes, impls] of forms) {
    for (const impl of impls) {
      for (const size of [13, 65536]) {
        const got = await collect(pieces(bytes, size), { gunzip: impl });
        assert.deepEqual(got.map((r) => r.id + r.sequence), want, `${name} via ${impl}, pieces of ${size}`);
      }
    }
  }
  // Line numbers count decompressed lines.
  await rejects(collect(pieces(gzipSync(enc("@r\nAC\n+\nII\n@s\nAC\nII\n")), 3), { name: "r.fq.gz" }), /^r\.fq\.gz: line 7: FASTQ separator/);
  for (const impl of ["node", "web"] as const) {
    const truncated = gzipSync(enc(text)).subarray(0, 5000);
    await rejects(collect(pieces(truncated, 512), { gunzip: impl, name: "t.gz" }), /^t\.gz: gzip data is corrupt or truncated/);
    const garbled = gzipSync(enc(text));
    garbled.fill(0x55, 100, 200);
    await rejects(collect(pieces(garbled, 512), { gunzip: impl }), /gzip data is corrupt or truncated|binary data/);
  }
});

test("binary and other compressed input is refused, naming the byte offset", async () => {
  await rejects(collect(pieces(enc(">a\nACGT\n>b\nAC\0GT\n"), 4), { name: "b.fa" }), /^b\.fa: binary data, not a sequence file \(byte 0x00 at offset 13\)/);
  let x = 12345;
  const random = Uint8Array.from({ length: 4096 }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 0xff).map((b) => b || 1);
  await rejects(collect(pieces(random, 100)), /binary data, not a sequence file \(byte 0x[0-9a-f]{2} at offset \d+\)/);
  await rejects(collect(pieces(gzipSync(Buffer.concat([enc("ACGT\n"), new Uint8Array(10)])), 7)), /byte 0x00 at offset 5 of the decompressed data/);
  const bam = bgzf(Buffer.concat([enc("BAM\x01"), new Uint8Array([10, 0, 0, 0])]));
  await rejects(collect(pieces(bam, 100)), /gzip-compressed BAM data, not sequence text: convert it to FASTQ first/);
  await rejects(collect(pieces(gzipSync(bam), 100)), /gzip-compressed BAM data/);
  for (const [magic, re] of [[[0x42, 0x5a, 0x68, 0x39, 0x31], /^bzip2 data/], [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], /^xz data/],
    [[0x28, 0xb5, 0x2f, 0xfd], /^zstd data/], [[0x50, 0x4b, 0x03, 0x04], /^zip data/]] as [number[], RegExp][]) {
    await rejects(collect(pieces(Uint8Array.from([...magic, 1, 2, 3, 4, 5, 6]), 2)), re);
  }
  // Text with a few odd bytes, and UTF-8 in headers, is still text.
  assert.equal((await collect(pieces(enc(">a café\x1b\nACGT\n"), 3))).length, 1);
  assert.equal((await collect(pieces(Uint8Array.from([...enc(">x"), 0xe9, ...enc("\n" + "ACGT\n".repeat(50))]), 3))).length, 1); // a Latin-1 byte
});

test("AlphabetCheck: counts outside ACGTN (either case), one warning, strict error naming record and line", () => {
  const check = new AlphabetCheck();
  const recs: SequenceRecord[] = [
    { id: "s1", sequence: "ACGTNacgtn", line: 1 }, { id: "s2", sequence: "ACGU", line: 3 }, { id: "s3", sequence: "uuAU", line: 5 },
  ];
  assert.deepEqual(recs.map((r) => check.add(r, "r.fa")), [-1, 3, 0]);
  assert.equal(check.warning(), "2 sequences contain 4 characters outside ACGTN (U: 4; e.g. 'U' at s2:4, r.fa line 3). " +
    "RNA? (the vocabulary has T, not U) The model reads them as [UNK]; --strict makes this an error");
  assert.equal(check.error(recs[1]!, 3, "r.fa").message, "r.fa: record 's2' (line 3): 'U' at position 4 is outside ACGTN (--strict). RNA? (the vocabulary has T, not U)");
  const p = new AlphabetCheck();
  p.add({ id: "p", sequence: "MKVLAAGEQ*" });
  assert.match(p.warning()!, /^1 sequence contains 7 characters outside ACGTN \(M: 1, K: 1, V: 1, L: 1, E: 1, …; e\.g\. 'M' at p:1\)\. RNA or protein\?/);
  const i = new AlphabetCheck();
  i.add({ id: "g", sequence: "ACRYGT" });
  assert.match(i.warning()!, /IUPAC ambiguity codes\?/);
  assert.equal(new AlphabetCheck().warning(), undefined);
});
