// Sequence input formats for the CLI and pipelines: FASTA, FASTQ, plain one-per-line, CSV and TSV (GUE layout).
// Line-at-a-time parsers, shared by parseSequences (a string) and readSequences (a byte stream, seq-stream.ts), so
// a file of any size parses with one record in memory. Isomorphic; every malformed input is a FormatError naming
// its line.
import { FormatError } from "../errors.js";
import { clip, preview } from "./quote.js";

/**
 * One sequence read by parseSequences or readSequences.
 * @category Files & formats
 */
export interface SequenceRecord {
  /** The FASTA/FASTQ header's first word, the CSV/TSV `id` or `name` column, else seq1, seq2, … */
  id: string;
  /** The sequence as written (no case change; wrapped FASTA lines joined). */
  sequence: string;
  /** The CSV/TSV `label` column when there is one (GUE `sequence,label`). */
  label?: string;
  /** The line the record starts on: always for CSV/TSV rows; for every format from readSequences. */
  line?: number;
}

/**
 * A sequence file format; "auto" decides from the first non-blank line (`>` FASTA, `@` FASTQ, a header with a
 * `sequence` column CSV or TSV, otherwise one sequence per line).
 * @category Files & formats
 */
export type SequenceFormat = "auto" | "fasta" | "fastq" | "plain" | "csv" | "tsv";

/** Takes the input one line at a time (without its line break), numbered from 1. */
export interface LineParser {
  line(text: string, no: number): void;
  /** End of input: finishes the last record, or throws for an empty or truncated input. */
  end(): void;
}

/** Receives each record with the line it starts on. */
export type EmitRecord = (record: SequenceRecord, line: number) => void;

const FORMATS: readonly SequenceFormat[] = ["auto", "fasta", "fastq", "plain", "csv", "tsv"];

/**
 * Parse sequences from text. "auto" looks at the first non-blank line: `>` FASTA, `@` FASTQ, a tab-separated header
 * with a `sequence` column TSV, a comma CSV, otherwise one sequence per line. Sequences are returned as written
 * (no case change). For files and streams of any size, see readSequences.
 * @category Files & formats
 * @example
 * parseSequences(">a desc\nACGT\nTTGA\n>b\nGG\n");  // [{ id: "a", sequence: "ACGTTTGA" }, { id: "b", sequence: "GG" }]
 * parseSequences("sequence,label\nACGT,1\n");          // [{ id: "seq1", sequence: "ACGT", label: "1", line: 2 }]
 */
export function parseSequences(text: string, opts: { format?: SequenceFormat } = {}): SequenceRecord[] {
  if (typeof text !== "string") throw new FormatError("parseSequences: input is not text");
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // spreadsheets write a UTF-8 BOM
  const out: SequenceRecord[] = [];
  const parser = createLineParser(opts.format ?? "auto", (r) => out.push(r));
  body.split(/\r\n|\r|\n/).forEach((l, i) => parser.line(l, i + 1));
  parser.end();
  return out;
}

/**
 * A parser for `format` ("auto": decided by the first non-blank line). Records without an id of their own are
 * numbered seq{numberFrom + 1}, seq{numberFrom + 2}, … (so several files can number as one run).
 */
export function createLineParser(format: SequenceFormat, emit: EmitRecord, opts: { numberFrom?: number } = {}): LineParser {
  if (!FORMATS.includes(format)) throw new FormatError(`unknown input format ${preview(format)} (expected ${FORMATS.join(", ")})`);
  const from = opts.numberFrom ?? 0;
  const ids = (n: number) => `seq${from + n + 1}`;
  let inner: LineParser | undefined;
  return {
    line(text, no) {
      if (!inner) {
        if (text.trim() === "") return; // every format skips blank lines before its first record
        inner = PARSERS[format === "auto" ? detectFormat(text) : format](emit, ids);
      }
      inner.line(text, no);
    },
    end() {
      if (!inner) throw new FormatError("line 1: input is empty (no sequences)");
      inner.end();
    },
  };
}

/** The format a first non-blank line announces. */
export function detectFormat(line: string): Exclude<SequenceFormat, "auto"> {
  const t = line.trimStart();
  if (t.startsWith(">") || t.startsWith(";")) return "fasta";
  if (t.startsWith("@")) return "fastq";
  if (t.includes("\t") && t.split("\t").some((f) => f.trim().toLowerCase() === "sequence")) return "tsv";
  // A one-column CSV ("sequence" header alone) has no comma to give it away.
  if (t.includes(",") || t.trimEnd().toLowerCase() === "sequence") return "csv";
  return "plain";
}

type MakeParser = (emit: EmitRecord, ids: (n: number) => string) => LineParser;

const PARSERS: Record<Exclude<SequenceFormat, "auto">, MakeParser> = {
  fasta: fastaParser,
  fastq: fastqParser,
  plain: plainParser,
  csv: (emit, ids) => tableParser(",", emit, ids),
  tsv: (emit, ids) => tableParser("\t", emit, ids),
};

/** A header's id: its first word. */
function firstWord(text: string): string {
  const t = text.trimStart();
  const end = t.search(SPACE);
  return end < 0 ? t : t.slice(0, end);
}

// V8's string length limit (2^29 - 24 characters): a longer record cannot be one string.
const MAX_SEQUENCE = 2 ** 29 - 24;
const SPACE = /\s/;

function fastaParser(emit: EmitRecord, ids: (n: number) => string): LineParser {
  let id = "", at = 0, n = 0, length = 0; // at: the open record's header line (0: none yet)
  // Lines are joined in pieces of 1024, so a chromosome-sized record does not keep millions of small strings.
  let lines: string[] = [], pieces: string[] = [];
  const finish = () => {
    if (!at) return;
    pieces.push(lines.join(""));
    const sequence = pieces.length === 1 ? pieces[0]! : pieces.join("");
    if (sequence === "") throw new FormatError(`line ${at}: FASTA record '${clip(id, 60)}' has no sequence`);
    emit({ id, sequence }, at);
    n++;
    lines = [];
    pieces = [];
    length = 0;
  };
  return {
    line(raw, no) {
      const line = raw.trim();
      if (line === "" || line[0] === ";") return; // ';' comments are old-style FASTA
      if (line[0] === ">") {
        finish();
        id = firstWord(line.slice(1)) || ids(n);
        at = no;
        return;
      }
      if (!at) throw new FormatError(`line ${no}: sequence data before the first '>' header`);
      const part = SPACE.test(line) ? line.replace(/\s+/g, "") : line;
      length += part.length;
      if (length > MAX_SEQUENCE) {
        throw new FormatError(`line ${at}: FASTA record '${clip(id, 60)}' is longer than ${MAX_SEQUENCE} bases, more than one JavaScript string holds; split it first`);
      }
      lines.push(part);
      if (lines.length === 1024) { pieces.push(lines.join("")); lines = []; }
    },
    end() {
      finish();
      if (n === 0) throw new FormatError("line 1: FASTA input has no records");
    },
  };
}

// Four lines per record (@id, sequence, +, quality); multi-line FASTQ is not supported.
function fastqParser(emit: EmitRecord, ids: (n: number) => string): LineParser {
  let state = 0, at = 0, n = 0, last = 0; // state: the record line expected next (0: '@' header … 3: quality)
  let header = "", sequence = "";
  const line = (raw: string, no: number) => {
    const text = raw.trim();
    last = no;
    switch (state) {
      case 0:
        if (text === "") return;
        if (text[0] !== "@") throw new FormatError(`line ${no}: FASTQ record must start with '@', got '${clip(text, 20)}'`);
        header = text;
        at = no;
        state = 1;
        return;
      case 1:
        if (text === "") throw new FormatError(`line ${at + 1}: FASTQ record '${clip(header.slice(1), 60)}' has no sequence`);
        sequence = text;
        state = 2;
        return;
      case 2:
        if (text[0] !== "+") throw new FormatError(`line ${at + 2}: FASTQ separator line must start with '+'`);
        state = 3;
        return;
      default:
        if (text.length !== sequence.length) {
          throw new FormatError(`line ${at + 3}: FASTQ quality has ${text.length} characters, sequence has ${sequence.length}`);
        }
        emit({ id: firstWord(header.slice(1)) || ids(n), sequence }, at);
        n++;
        state = 0;
    }
  };
  return {
    line,
    // A truncated last record reads as if its missing lines were empty: the error names the first one.
    end() { while (state !== 0) line("", last + 1); },
  };
}

function plainParser(emit: EmitRecord, ids: (n: number) => string): LineParser {
  let n = 0;
  return {
    line(raw, no) {
      const sequence = raw.trim();
      if (sequence !== "") emit({ id: ids(n++), sequence }, no);
    },
    end() {},
  };
}

/**
 * RFC 4180 rows (quoted fields may hold the delimiter, line breaks and doubled quotes), the first non-blank row being
 * the header. A row's line is where it starts, so line numbers stay right after a quoted line break.
 */
function tableParser(delim: "," | "\t", emit: EmitRecord, ids: (n: number) => string): LineParser {
  const kind = delim === "," ? "CSV" : "TSV";
  let names: string[] | undefined;
  let headLine = 0, seqCol = -1, idCol = -1, labelCol = -1, n = 0;
  let fields: string[] = [], field = "", quoted = false, quoteLine = 0, rowLine = 0;
  const row = (f: string[], line: number) => {
    if (f.length === 1 && f[0]!.trim() === "") return; // blank line
    if (!names) {
      names = f.map((x) => x.trim().toLowerCase());
      headLine = line;
      seqCol = names.indexOf("sequence");
      if (seqCol < 0) throw new FormatError(`line ${line}: ${kind} header has no 'sequence' column (found: ${clip(f.join(", "), 200)})`);
      idCol = names.findIndex((x) => x === "id" || x === "name");
      labelCol = names.indexOf("label");
      return;
    }
    if (f.length !== names.length) throw new FormatError(`line ${line}: ${kind} row has ${f.length} fields, header has ${names.length}`);
    const sequence = f[seqCol]!.replace(/\s+/g, ""); // a quoted field may wrap
    if (sequence === "") throw new FormatError(`line ${line}: ${kind} row has an empty sequence`);
    const rec: SequenceRecord = { id: (idCol >= 0 && f[idCol]!.trim()) || ids(n), sequence };
    if (labelCol >= 0) rec.label = f[labelCol]!.trim();
    rec.line = line;
    n++;
    emit(rec, line);
  };
  return {
    line(text, no) {
      if (quoted) {
        field += "\n"; // the line break inside a quoted field
      } else {
        rowLine = no;
        if (!text.includes('"')) return row(text.split(delim), no); // the common case: no quoting at all
        fields = [];
        field = "";
      }
      // Runs between quotes and delimiters are sliced, not added a character at a time (a megabyte-long quoted
      // field would be a million string concatenations).
      for (let i = 0; i < text.length;) {
        if (quoted) {
          const q = text.indexOf('"', i);
          if (q < 0) { field += text.slice(i); break; }
          field += text.slice(i, q);
          if (text[q + 1] === '"') { field += '"'; i = q + 2; } else { quoted = false; i = q + 1; }
          continue;
        }
        let j = i;
        while (j < text.length && text[j] !== '"' && text[j] !== delim) j++;
        field += text.slice(i, j);
        if (j === text.length) break;
        if (text[j] === delim) {
          fields.push(field);
          field = "";
        } else if (field.trim() === "") {
          quoted = true;
          quoteLine = no;
          field = "";
        } else {
          field += '"';
        }
        i = j + 1;
      }
      if (quoted) {
        if (field.length > MAX_SEQUENCE) throw new FormatError(`line ${quoteLine}: ${kind} quoted field runs past ${MAX_SEQUENCE} characters (is a closing quote missing?)`);
        return;
      }
      fields.push(field);
      row(fields, rowLine);
    },
    end() {
      if (quoted) throw new FormatError(`line ${quoteLine}: ${kind} quoted field is never closed`);
      if (n === 0) throw new FormatError(`line ${headLine}: ${kind} has a header but no rows`);
    },
  };
}
