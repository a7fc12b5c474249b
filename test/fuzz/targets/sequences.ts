// Fuzz target: readSequences (streams of FASTA, FASTQ, CSV, TSV, plain; raw, gzip, concatenated gzip, bgzip; in
// chunks of 1 byte to 64 KiB, as async iterables or web streams, through node:zlib or DecompressionStream).
// Seeds are generated per input; mutations: inserted markers and line breaks, deleted or repeated spans, very long
// lines, BOMs, NULs and invalid UTF-8, corrupted or truncated gzip, other compressors' magic bytes.
// Oracle: what readSequences accepts must be exactly what parseSequences reads from the same bytes decoded at once
// (gunzipped by zlib, UTF-8 decoded whole): same ids, sequences, labels and CSV/TSV lines; every sequence non-empty
// without line breaks; line numbers positive and non-decreasing.
import { deflateRawSync, gunzipSync, gzipSync } from "node:zlib";
import { parseSequences, type SequenceFormat, type SequenceRecord } from "../../../src/io/fasta.js";
import { readSequences } from "../../../src/io/seq-stream.js";
import { concatBytes, mutateBytes, putLE, type Rand } from "../rand.js";
import { refCrc32 } from "../ref/zip.js";
import { SilentWrong, type Target } from "../target.js";

const dna = (r: Rand, n: number) => Array.from({ length: n }, () => r.pick("ACGTACGTACGTNacgtRY".split(""))).join("");
const word = (r: Rand) => r.pick(["seq", "chr1", "read/1", "a", "x_y", "NM_0001.2", "é"]) + r.int(1000);

function seedText(r: Rand): { text: string; format: SequenceFormat } {
  const n = r.range(1, 12), format = r.pick(["fasta", "fastq", "csv", "tsv", "plain"] as const);
  const lines: string[] = [];
  if (format === "fasta") {
    const w = r.pick([60, 70, 80, 1, 7, 1000]);
    for (let k = 0; k < n; k++) {
      if (r.chance(0.1)) lines.push(";comment");
      lines.push(`>${word(r)}${r.chance(0.5) ? ` desc ${k}` : ""}`);
      const s = dna(r, r.range(1, 300));
      for (let i = 0; i < s.length; i += w) lines.push(s.slice(i, i + w));
      if (r.chance(0.2)) lines.push("");
    }
  } else if (format === "fastq") {
    for (let k = 0; k < n; k++) { const s = dna(r, r.range(1, 150)); lines.push(`@${word(r)}`, s, r.chance(0.5) ? "+" : `+${word(r)}`, "I".repeat(s.length)); }
  } else if (format === "plain") {
    for (let k = 0; k < n; k++) lines.push(dna(r, r.range(1, 200)));
  } else {
    const d = format === "csv" ? "," : "\t";
    const cols = r.pick([["sequence", "label"], ["id", "sequence", "label"], ["name", "sequence"], ["sequence"]]);
    lines.push(cols.join(d));
    for (let k = 0; k < n; k++) {
      lines.push(cols.map((c) => {
        const v = c === "sequence" ? dna(r, r.range(1, 200)) : c === "label" ? String(r.int(3)) : word(r);
        return r.chance(0.2) ? `"${v.slice(0, 5)}${r.pick(['""', d, "\n", ""])}${v.slice(5)}"` : v;
      }).join(d));
    }
  }
  const eol = r.pick(["\n", "\n", "\r\n", "\r"]);
  return { text: lines.join(eol) + (r.chance(0.8) ? eol : ""), format };
}

function textEdit(r: Rand, t: string): [string, string] {
  const at = r.int(t.length + 1);
  switch (r.int(6)) {
    case 0: { const ins = r.pick([">", "@", "+", ",", "\t", '"', "\n", "\r", "\r\n", " ", ";", "\u0000", "\u00ff", "\ufeff", "é", "\u0007", "\n\n\n"]); return [t.slice(0, at) + ins + t.slice(at), `insert ${JSON.stringify(ins)}@${at}`]; }
    case 1: { const n = r.small(200); return [t.slice(0, at) + t.slice(at + n), `delete ${n}@${at}`]; }
    case 2: { const n = r.small(200); return [t.slice(0, at + n) + t.slice(at, at + n) + t.slice(at + n), `repeat ${n}@${at}`]; }
    case 3: { const n = r.pick([10_000, 100_000, 1_000_000]), c = r.pick(["A", "x", ",", " "]); return [t.slice(0, at) + c.repeat(n) + t.slice(at), `long ${n}x${JSON.stringify(c)}@${at}`]; }
    case 4: return ["\ufeff" + t, "BOM"];
    default: return [t.slice(0, at), `cut@${at}`];
  }
}

function gzip(r: Rand, b: Uint8Array, what: string[]): Uint8Array {
  switch (r.int(3)) {
    case 0: what.push("gzip"); return new Uint8Array(gzipSync(b));
    case 1: { const k = r.int(b.length + 1); what.push("gzip x2"); return concatBytes([gzipSync(b.subarray(0, k)), gzipSync(b.subarray(k))]); }
    default: {
      // bgzip: members with a BC extra field giving each block's size.
      const parts: Uint8Array[] = [];
      for (let i = 0; i < b.length || parts.length === 0; i += 4096) {
        const raw = b.subarray(i, i + 4096), body = deflateRawSync(raw), blk = new Uint8Array(18 + body.length + 8);
        blk.set([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 66, 67, 2, 0]);
        putLE(blk, 16, 2, blk.length - 1);
        blk.set(body, 18);
        putLE(blk, 18 + body.length, 4, refCrc32(raw));
        putLE(blk, 22 + body.length, 4, raw.length);
        parts.push(blk);
      }
      what.push("bgzip");
      return concatBytes(parts);
    }
  }
}

interface SeqCase { bytes: Uint8Array; format: SequenceFormat; chunk: number; web: boolean; impl: "node" | "web" }

function make(r: Rand): { data: SeqCase; what: string[] } {
  const seed = seedText(r);
  let text = seed.text;
  const what: string[] = [seed.format];
  for (let k = r.chance(0.8) ? r.range(1, 3) : 0; k > 0; k--) { const [t, w] = textEdit(r, text); text = t; what.push(w); }
  let bytes: Uint8Array = new TextEncoder().encode(text);
  if (r.chance(0.1)) { const m = mutateBytes(r, bytes); bytes = m.bytes; what.push(m.what); }
  if (r.chance(0.3)) {
    bytes = gzip(r, bytes, what);
    if (r.chance(0.3)) { const m = mutateBytes(r, bytes); bytes = m.bytes; what.push(`gz ${m.what}`); }
    if (r.chance(0.05)) { bytes = gzip(r, bytes, what); }
  }
  if (r.chance(0.03)) { bytes = concatBytes([r.pick([Uint8Array.of(0x42, 0x5a, 0x68), Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd), Uint8Array.of(0x50, 0x4b, 3, 4)]), bytes]); what.push("magic"); }
  const format = r.chance(0.8) ? "auto" : r.pick(["fasta", "fastq", "csv", "tsv", "plain", "auto"] as const);
  // Tiny chunks only for small inputs: a megabyte a byte at a time is a million awaits (2 s), not a parser problem.
  const chunk = r.pick(bytes.length <= 4096 ? [1, 7, 64, 4096, 1 << 30] : bytes.length <= 65536 ? [7, 64, 4096, 65536, 1 << 30] : [4096, 65536, 1 << 30]);
  const data: SeqCase = { bytes, format, chunk, web: r.chance(0.3), impl: r.chance(0.3) ? "web" : "node" };
  what.push(`format ${format}, chunks ${data.chunk}${data.web ? " web" : ""}, gunzip ${data.impl}`);
  return { data, what };
}

function source(c: SeqCase): AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> {
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < c.bytes.length; i += c.chunk) pieces.push(c.bytes.subarray(i, i + c.chunk));
  if (c.web) return new ReadableStream({ pull(ctl) { const p = pieces.shift(); if (p) ctl.enqueue(p); else ctl.close(); } });
  return (async function* () { yield* pieces; })();
}

const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

export const sequencesTarget: Target = {
  name: "sequences",
  async setup() {},
  make,
  async check(input) {
    const c = input.data as SeqCase;
    const got: SequenceRecord[] = [];
    for await (const rec of readSequences(source(c), { format: c.format, name: "fuzz.fa", gunzip: c.impl })) got.push(rec);
    let last = 0;
    for (const rec of got) {
      if (!rec.sequence || /[\r\n]/.test(rec.sequence) || !rec.line || rec.line < last) throw new SilentWrong(`record ${JSON.stringify(rec.id.slice(0, 30))}: empty sequence, a line break inside, or line ${rec.line} after ${last}`);
      last = rec.line;
    }
    let plain = c.bytes;
    for (let depth = 0; depth < 3 && isGzip(plain); depth++) { try { plain = new Uint8Array(gunzipSync(plain)); } catch { return; } }
    let want: SequenceRecord[];
    try { want = parseSequences(new TextDecoder().decode(plain), { format: c.format }); } catch (e) {
      throw new SilentWrong(`the stream reader accepted ${got.length} records, parseSequences refuses the same text: ${(e as Error).message.slice(0, 120)}`);
    }
    if (want.length !== got.length) throw new SilentWrong(`${got.length} records from the stream, ${want.length} from the text`);
    want.forEach((w, i) => {
      const g = got[i]!;
      if (g.id !== w.id || g.sequence !== w.sequence || g.label !== w.label || (w.line !== undefined && g.line !== w.line)) {
        throw new SilentWrong(`record ${i}: stream ${JSON.stringify([g.id.slice(0, 20), g.sequence.slice(0, 20), g.sequence.length, g.label, g.line])} ≠ text ${JSON.stringify([w.id.slice(0, 20), w.sequence.slice(0, 20), w.sequence.length, w.label, w.line])}`);
      }
    });
  },
  bytes: (input) => (input.data as SeqCase).bytes,
};
