// parseSequences: FASTA / FASTQ / plain / CSV parsing and the FormatErrors that name the bad line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSequences } from "../src/io/fasta.js";
import { FormatError } from "../src/errors.js";

const fails = (text: string, re: RegExp, format?: "fasta" | "fastq" | "plain" | "csv" | "tsv") =>
  assert.throws(() => parseSequences(text, { format }), (e: unknown) => e instanceof FormatError && re.test(e.message));

test("FASTA: multi-record, wrapped lines, first word of header, CRLF", () => {
  const text = ">chr1 some description\r\nACGT\r\nacgt\r\n\r\n>chr2\r\nGGGG\r\nCC\r\n";
  assert.deepEqual(parseSequences(text), [
    { id: "chr1", sequence: "ACGTacgt" },
    { id: "chr2", sequence: "GGGGCC" },
  ]);
});

test("FASTA: empty header gets a numbered id; ';' comments skipped; no trailing newline", () => {
  assert.deepEqual(parseSequences(";comment\n>\nAC\n>x\nTT"), [{ id: "seq1", sequence: "AC" }, { id: "x", sequence: "TT" }]);
});

test("FASTA: a record without sequence names its header line", () => {
  fails(">a\nACGT\n>b\n\n>c\nGG\n", /line 3: .*'b' has no sequence/);
  fails(">only\n", /line 1: .*'only' has no sequence/);
  fails("ACGT\n>a\nAC\n", /line 1: sequence data before/, "fasta");
});

test("FASTQ: four-line records; bad quality length names the line", () => {
  const text = "@r1 extra\nACGT\n+\nIIII\n@r2\nGG\n+r2\nII\n";
  assert.deepEqual(parseSequences(text), [{ id: "r1", sequence: "ACGT" }, { id: "r2", sequence: "GG" }]);
  fails("@r1\nACGT\n+\nIII\n", /line 4: FASTQ quality has 3 characters, sequence has 4/);
  fails("@r1\nACGT\nIIII\n", /line 3: FASTQ separator/);
});

test("plain: one sequence per line, ids seq1..", () => {
  assert.deepEqual(parseSequences("ACGT\n\n  TTGA  \r\nGG"), [
    { id: "seq1", sequence: "ACGT" }, { id: "seq2", sequence: "TTGA" }, { id: "seq3", sequence: "GG" },
  ]);
});

test("CSV: GUE layout sequence,label with quoted fields", () => {
  const text = 'sequence,label\r\nACGT,1\n"TT,GA",0\n"A""C",1\n';
  assert.deepEqual(parseSequences(text), [
    { id: "seq1", sequence: "ACGT", label: "1", line: 2 },
    { id: "seq2", sequence: "TT,GA", label: "0", line: 3 },
    { id: "seq3", sequence: 'A"C', label: "1", line: 4 },
  ]);
});

test("CSV: id column, BOM, quoted newline keeps later line numbers right", () => {
  const text = '\uFEFFid,Sequence\nx,"AC\nGT"\ny,TT\nz,\n';
  fails(text, /line 5: CSV row has an empty sequence/);
  assert.deepEqual(parseSequences(text.replace("z,\n", "")).map((r) => r.sequence), ["ACGT", "TT"]);
  assert.deepEqual(parseSequences("id,sequence\nx,AC\n"), [{ id: "x", sequence: "AC", line: 2 }]);
  assert.deepEqual(parseSequences("sequence\nAC\n"), [{ id: "seq1", sequence: "AC", line: 2 }]);
});

test("CSV: missing sequence column / ragged row / unclosed quote", () => {
  fails("seq,label\nACGT,1\n", /line 1: CSV header has no 'sequence' column \(found: seq, label\)/);
  fails("sequence,label\nACGT,1\nGG\n", /line 3: CSV row has 1 fields, header has 2/);
  fails('sequence,label\n"ACGT,1\n', /line 2: CSV quoted field is never closed/);
  fails("sequence,label\n", /line 1: CSV has a header but no rows/);
});

test("empty input is a FormatError", () => {
  fails("", /line 1: input is empty/);
  fails(" \n\r\n", /input is empty/);
});

test("FASTA: a record of many lines (joined in pieces) comes out whole", () => {
  const lines = Array.from({ length: 5000 }, (_, i) => "ACGT".slice(i % 4) + "TTGCA".slice(0, 1 + (i % 5)));
  assert.deepEqual(parseSequences(`>big\n${lines.join("\n")}\n>s\nA\n`), [{ id: "big", sequence: lines.join("") }, { id: "s", sequence: "A" }]);
});

test("TSV: a tab-separated header with a 'sequence' column; quoting as in CSV; errors say TSV", () => {
  assert.deepEqual(parseSequences('id\tsequence\tlabel\nx\tAC\t1\n"y\tz"\t"G\nT"\t0\n'), [
    { id: "x", sequence: "AC", label: "1", line: 2 },
    { id: "y\tz", sequence: "GT", label: "0", line: 3 },
  ]);
  fails("sequence\tlabel\nACGT\n", /line 2: TSV row has 1 fields, header has 2/);
  fails("seq\tlabel\nACGT\t1\n", /line 1: TSV header has no 'sequence' column/, "tsv");
  // Tabs without a 'sequence' header field are not TSV: one sequence per line, as before.
  assert.deepEqual(parseSequences("ACGT\tGG\n").map((r) => r.sequence), ["ACGT\tGG"]);
});
