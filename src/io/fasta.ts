// Sequence input formats for the CLI and pipelines: FASTA, FASTQ, plain one-per-line, and CSV (GUE layout).
// Pure string parsing, isomorphic; every malformed input is a FormatError naming its line.
import { FormatError } from "../errors.js";

export interface SequenceRecord {
  id: string;
  sequence: string;
  /** The CSV `label` column when there is one (GUE `sequence,label`). */
  label?: string;
  /** CSV: the line the row starts on (for errors about its fields). */
  line?: number;
}

export type SequenceFormat = "auto" | "fasta" | "fastq" | "plain" | "csv";

/**
 * Parse sequences from text. "auto" looks at the first non-blank line: `>` FASTA, `@` FASTQ, a comma CSV,
 * otherwise one sequence per line. Sequences are returned as written (no case change).
 * @example
 * parseSequences(">a desc\nACGT\nTTGA\n>b\nGG\n");  // [{ id: "a", sequence: "ACGTTTGA" }, { id: "b", sequence: "GG" }]
 * parseSequences("sequence,label\nACGT,1\n");          // [{ id: "seq1", sequence: "ACGT", label: "1" }]
 */
export function parseSequences(text: string, opts: { format?: SequenceFormat } = {}): SequenceRecord[] {
  if (typeof text !== "string") throw new FormatError("parseSequences: input is not text");
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // spreadsheets write a UTF-8 BOM
  const lines = body.split(/\r\n|\r|\n/);
  const first = lines.findIndex((l) => l.trim() !== "");
  if (first < 0) throw new FormatError("line 1: input is empty (no sequences)");
  const format = opts.format ?? "auto";
  switch (format === "auto" ? detect(lines[first]!) : format) {
    case "fasta": return parseFasta(lines);
    case "fastq": return parseFastq(lines);
    case "csv": return parseCsv(body);
    case "plain": return parsePlain(lines);
    default: throw new FormatError(`parseSequences: unknown format ${JSON.stringify(format)}`);
  }
}

function detect(line: string): Exclude<SequenceFormat, "auto"> {
  const t = line.trimStart();
  if (t.startsWith(">") || t.startsWith(";")) return "fasta";
  if (t.startsWith("@")) return "fastq";
  // A one-column CSV ("sequence" header alone) has no comma to give it away.
  if (t.includes(",") || t.trimEnd().toLowerCase() === "sequence") return "csv";
  return "plain";
}

function parseFasta(lines: string[]): SequenceRecord[] {
  const out: SequenceRecord[] = [];
  let cur: { id: string; parts: string[]; line: number } | null = null;
  const finish = () => {
    if (!cur) return;
    const sequence = cur.parts.join("");
    if (sequence === "") throw new FormatError(`line ${cur.line}: FASTA record '${cur.id}' has no sequence`);
    out.push({ id: cur.id, sequence });
  };
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith(";")) return; // ';' comments are old-style FASTA
    if (line.startsWith(">")) {
      finish();
      const id = line.slice(1).trim().split(/\s+/)[0] || `seq${out.length + 1}`;
      cur = { id, parts: [], line: i + 1 };
      return;
    }
    if (!cur) throw new FormatError(`line ${i + 1}: sequence data before the first '>' header`);
    cur.parts.push(line.replace(/\s+/g, ""));
  });
  finish();
  if (out.length === 0) throw new FormatError("line 1: FASTA input has no records");
  return out;
}

// Four lines per record (@id, sequence, +, quality); multi-line FASTQ is not supported.
function parseFastq(lines: string[]): SequenceRecord[] {
  const out: SequenceRecord[] = [];
  let i = 0;
  const next = () => { while (i < lines.length && lines[i]!.trim() === "") i++; return i < lines.length; };
  while (next()) {
    const at = i + 1;
    const header = lines[i++]!.trim();
    if (!header.startsWith("@")) throw new FormatError(`line ${at}: FASTQ record must start with '@', got '${header.slice(0, 20)}'`);
    const sequence = (lines[i++] ?? "").trim();
    const plus = (lines[i++] ?? "").trim();
    const quality = (lines[i++] ?? "").trim();
    if (sequence === "") throw new FormatError(`line ${at + 1}: FASTQ record '${header.slice(1)}' has no sequence`);
    if (!plus.startsWith("+")) throw new FormatError(`line ${at + 2}: FASTQ separator line must start with '+'`);
    if (quality.length !== sequence.length) {
      throw new FormatError(`line ${at + 3}: FASTQ quality has ${quality.length} characters, sequence has ${sequence.length}`);
    }
    out.push({ id: header.slice(1).trim().split(/\s+/)[0] || `seq${out.length + 1}`, sequence });
  }
  return out;
}

function parsePlain(lines: string[]): SequenceRecord[] {
  const out: SequenceRecord[] = [];
  for (const raw of lines) {
    const sequence = raw.trim();
    if (sequence !== "") out.push({ id: `seq${out.length + 1}`, sequence });
  }
  return out;
}

function parseCsv(text: string): SequenceRecord[] {
  const rows = csvRows(text).filter((r) => !(r.fields.length === 1 && r.fields[0]!.trim() === ""));
  const head = rows[0]!;
  const names = head.fields.map((f) => f.trim().toLowerCase());
  const seqCol = names.indexOf("sequence");
  if (seqCol < 0) {
    throw new FormatError(`line ${head.line}: CSV header has no 'sequence' column (found: ${head.fields.join(", ")})`);
  }
  const idCol = names.findIndex((n) => n === "id" || n === "name");
  const labelCol = names.indexOf("label");
  const out: SequenceRecord[] = [];
  for (const row of rows.slice(1)) {
    if (row.fields.length !== names.length) {
      throw new FormatError(`line ${row.line}: CSV row has ${row.fields.length} fields, header has ${names.length}`);
    }
    const sequence = row.fields[seqCol]!.replace(/\s+/g, ""); // a quoted field may wrap
    if (sequence === "") throw new FormatError(`line ${row.line}: CSV row has an empty sequence`);
    const rec: SequenceRecord = { id: (idCol >= 0 && row.fields[idCol]!.trim()) || `seq${out.length + 1}`, sequence };
    if (labelCol >= 0) rec.label = row.fields[labelCol]!.trim();
    rec.line = row.line;
    out.push(rec);
  }
  if (out.length === 0) throw new FormatError(`line ${head.line}: CSV has a header but no rows`);
  return out;
}

/** RFC 4180 rows: quoted fields may hold commas, newlines and doubled quotes. `line` is where a row starts. */
function csvRows(text: string): { fields: string[]; line: number }[] {
  const rows: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let rowLine = 1;
  let quoted = false;
  let quoteLine = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else {
        if (c === "\n") line++;
        field += c;
      }
    } else if (c === '"' && field.trim() === "") {
      quoted = true;
      quoteLine = line;
      field = "";
    } else if (c === ",") {
      fields.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      fields.push(field);
      rows.push({ fields, line: rowLine });
      fields = [];
      field = "";
      rowLine = ++line;
    } else {
      field += c;
    }
  }
  if (quoted) throw new FormatError(`line ${quoteLine}: CSV quoted field is never closed`);
  if (field !== "" || fields.length > 0) {
    fields.push(field);
    rows.push({ fields, line: rowLine });
  }
  return rows;
}
