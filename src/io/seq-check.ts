// Checks on sequence input: what the first bytes say it is (gzip, another compressor, BAM, binary) and, per record,
// the characters outside ACGTN, counted so a run can warn once (or, strict, stop at the first).
import { FormatError } from "../errors.js";
import type { SequenceRecord } from "./fasta.js";

const MAGIC: { name: string; bytes: number[]; hint: string }[] = [
  { name: "gzip", bytes: [0x1f, 0x8b], hint: "" },
  { name: "bzip2", bytes: [0x42, 0x5a, 0x68], hint: "decompress it first (bzip2 -dc FILE | germ … -)" },
  { name: "xz", bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], hint: "decompress it first (xz -dc FILE | germ … -)" },
  { name: "zstd", bytes: [0x28, 0xb5, 0x2f, 0xfd], hint: "decompress it first (zstd -dc FILE | germ … -)" },
  { name: "zip", bytes: [0x50, 0x4b, 0x03, 0x04], hint: "extract it first (unzip -p FILE | germ … -)" },
  { name: "7z", bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], hint: "extract it first" },
  { name: "BAM", bytes: [0x42, 0x41, 0x4d, 0x01], hint: "convert it to FASTQ first (samtools fastq FILE | germ … -)" },
];

/** The container format the first bytes announce, or undefined for anything else (text, or unknown binary). */
export function sniffMagic(head: Uint8Array): { name: string; hint: string } | undefined {
  return MAGIC.find((m) => head.length >= m.bytes.length && m.bytes.every((b, i) => head[i] === b));
}

// Text is printable bytes plus \t \n \v \f \r; anything else below 0x20, and DEL, counts against it.
const isControl = (b: number) => (b < 0x20 && (b < 9 || b > 13)) || b === 0x7f;

/** The most bytes the share-of-non-text check looks at: the start of the (decompressed) input. */
const SNIFF_BYTES = 64 * 1024;

/**
 * Refuses input that is not text, chunk by chunk: a NUL byte anywhere, or, over the first 64 KiB, more than 10%
 * control bytes (and, if it is not valid UTF-8, high bytes; the share is of at least 1 KiB, so a stray byte in a
 * tiny first chunk is no verdict). `where` follows the offset in messages (" of the decompressed data").
 */
export class TextCheck {
  private seen = 0;
  private bad = 0;
  private high = 0;
  private control: { at: number; byte: number } | undefined; // the first control byte
  private highByte: { at: number; byte: number } | undefined; // the first byte ≥ 0x80
  private utf8 = true;
  private readonly decoder = new TextDecoder("utf-8", { fatal: true });
  constructor(private readonly where = "") {}

  check(chunk: Uint8Array, offset: number): void {
    const nul = chunk.indexOf(0);
    if (nul >= 0) throw binary(offset + nul, 0, this.where);
    if (this.seen >= SNIFF_BYTES) return;
    const block = chunk.subarray(0, SNIFF_BYTES - this.seen);
    for (let i = 0; i < block.length; i++) {
      const b = block[i]!;
      if (b >= 0x80) { this.high++; this.highByte ??= { at: offset + i, byte: b }; }
      else if (isControl(b)) { this.bad++; this.control ??= { at: offset + i, byte: b }; }
    }
    if (this.utf8 && this.high > 0) {
      try { this.decoder.decode(block, { stream: true }); } catch { this.utf8 = false; } // stream: a character cut at the end is fine
    }
    this.seen += block.length;
    if (this.bad + (this.utf8 ? 0 : this.high) <= 0.1 * Math.max(this.seen, 1024)) return;
    const c = this.control, h = this.utf8 ? undefined : this.highByte;
    const first = !c || (h && h.at < c.at) ? h! : c;
    throw binary(first.at, first.byte, this.where);
  }
}


function binary(at: number, byte: number, where: string): FormatError {
  return new FormatError(`binary data, not a sequence file (byte 0x${byte.toString(16).padStart(2, "0")} at offset ${at}${where}); ` +
    "germ reads FASTA, FASTQ, CSV/TSV and one sequence per line, plain or gzip");
}

const IUPAC = /^[RYKMSWBDHV]+$/; // DNA ambiguity codes beyond N

/**
 * Counts characters outside ACGTN (either case) over a run. add() returns the first one's index in the record (-1:
 * none); warning() describes them all once at the end; error() is the strict form for one record.
 */
export class AlphabetCheck {
  sequences = 0;
  characters = 0;
  private readonly counts = new Map<string, number>();
  private first: { char: string; id: string; pos: number; line?: number; name?: string } | undefined;

  add(rec: SequenceRecord, name?: string): number {
    const s = rec.sequence;
    const at = s.search(/[^ACGTNacgtn]/);
    if (at < 0) return -1;
    for (let i = at; i < s.length; i++) {
      const c = s.charCodeAt(i) | 0x20; // lower case; only 'A'/'a' map to 'a' and so on
      if (c === 0x61 || c === 0x63 || c === 0x67 || c === 0x74 || c === 0x6e) continue;
      const ch = s[i]!.toUpperCase();
      this.counts.set(ch, (this.counts.get(ch) ?? 0) + 1);
      this.characters++;
    }
    this.sequences++;
    this.first ??= { char: s[at]!, id: rec.id, pos: at + 1, line: rec.line, name };
    return at;
  }

  /** The strict-mode error for `rec`, whose first character outside ACGTN is at index `at`. */
  error(rec: SequenceRecord, at: number, name?: string): FormatError {
    const where = `${name ? `${name}: ` : ""}record '${rec.id}'${rec.line ? ` (line ${rec.line})` : ""}`;
    return new FormatError(`${where}: '${show(rec.sequence[at]!)}' at position ${at + 1} is outside ACGTN (--strict). ` +
      hint([rec.sequence[at]!.toUpperCase()]));
  }

  /** One line about every character outside ACGTN so far, or undefined when there were none. */
  warning(): string | undefined {
    const f = this.first;
    if (!f) return undefined;
    const top = [...this.counts].sort((a, b) => b[1] - a[1]);
    const list = top.slice(0, 5).map(([c, n]) => `${show(c)}: ${n}`).join(", ") + (top.length > 5 ? ", …" : "");
    const where = f.name ? `, ${f.name}${f.line ? ` line ${f.line}` : ""}` : "";
    return `${this.sequences} sequence${this.sequences === 1 ? "" : "s"} contain${this.sequences === 1 ? "s" : ""} ` +
      `${this.characters} character${this.characters === 1 ? "" : "s"} outside ACGTN (${list}; e.g. '${show(f.char)}' at ${f.id}:${f.pos}${where}). ` +
      `${hint(top.map(([c]) => c))} The model reads them as [UNK]; --strict makes this an error`;
  }
}

function hint(chars: string[]): string {
  if (chars.every((c) => c === "U")) return "RNA? (the vocabulary has T, not U)";
  if (IUPAC.test(chars.join(""))) return "IUPAC ambiguity codes?";
  return "RNA or protein?";
}

/** A character as a message shows it: itself when printable, else its code point. */
function show(c: string): string {
  return /^[\x21-\x7e]$/.test(c) ? c : `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}
