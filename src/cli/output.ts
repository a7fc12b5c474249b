// Output encoders for the CLI: JSON lines, TSV, and NPY v1.0 (float32, C order) for embeddings.
// Each encoder turns one batch into one chunk, so output streams while later batches still run.
import type { OutlierSummary } from "../pipeline/outliers.js";

export interface EmbedRow { id: string; embedding: Float32Array }
export interface ClassifyRow { id: string; label: string; logits: Float32Array; probs: Float32Array }
export interface TokenizeRow { id: string; ids: number[]; tokens: string[] }
/** `model`: set for `germ outliers` with several --model (its summary line names the model). */
export interface OutliersRow { id: string; nTokens: number; summary: OutlierSummary; model?: string }

/** Shortest decimal that reads back as the same float32 (0.1f prints "0.1", not 0.10000000149011612). */
export function formatF32(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity";
  for (let p = 6; p < 9; p++) {
    const s = Number(x.toPrecision(p));
    if (Math.fround(s) === x) return String(s);
  }
  return String(Number(x.toPrecision(9))); // 9 significant digits always round-trip a float32
}

/** JSON has no NaN/Infinity: those become null so every line stays valid JSON. */
function jsonF32(values: Float32Array): string {
  let s = "[";
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    s += (i ? "," : "") + (Number.isFinite(v) ? formatF32(v) : "null");
  }
  return s + "]";
}

/** `x.npy` → `x.ids.tsv` (embed's ids sidecar); any other name gets `.ids.tsv` appended. */
export function idsPath(npyPath: string): string {
  return npyPath.replace(/\.npy$/i, "") + ".ids.tsv";
}

/** One TSV cell: tabs and line breaks inside it become a space. */
export function tsvCell(text: string): string {
  return text.replace(/[\t\r\n]+/g, " ");
}

function tsvF32(values: Float32Array): string {
  let s = "";
  for (let i = 0; i < values.length; i++) s += (i ? "\t" : "") + formatF32(values[i]!);
  return s;
}

const range = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

export function embedJsonl(rows: EmbedRow[]): string {
  return rows.map((r) => `{"id":${JSON.stringify(r.id)},"embedding":${jsonF32(r.embedding)}}\n`).join("");
}

/** A row of embed --window / --per-token: a span of the record (bp, end exclusive), and the token with --per-token. */
export interface SpanRow { id: string; start: number; end: number; token?: string; embedding: Float32Array }

export function spanJsonl(rows: SpanRow[]): string {
  return rows.map((r) => `{"id":${JSON.stringify(r.id)},"start":${r.start},"end":${r.end},${r.token !== undefined ? `"token":${JSON.stringify(r.token)},` : ""}"embedding":${jsonF32(r.embedding)}}\n`).join("");
}

export function spanTsv(rows: SpanRow[], header: boolean): string {
  const tok = rows[0]?.token !== undefined;
  const head = header && rows.length ? ["id", "start", "end", ...(tok ? ["token"] : []), ...range(rows[0]!.embedding.length, "emb_")].join("\t") + "\n" : "";
  return head + rows.map((r) => `${tsvCell(r.id)}\t${r.start}\t${r.end}\t${tok ? `${tsvCell(r.token ?? "")}\t` : ""}${tsvF32(r.embedding)}\n`).join("");
}

export function classifyJsonl(rows: ClassifyRow[]): string {
  return rows.map((r) =>
    `{"id":${JSON.stringify(r.id)},"label":${JSON.stringify(r.label)},"probs":${jsonF32(r.probs)},"logits":${jsonF32(r.logits)}}\n`).join("");
}

export function tokenizeJsonl(rows: TokenizeRow[]): string {
  return rows.map((r) => JSON.stringify({ id: r.id, ids: r.ids, tokens: r.tokens }) + "\n").join("");
}

/** TSV for a batch; `header` is true for the first batch only. */
export function embedTsv(rows: EmbedRow[], header: boolean): string {
  const head = header && rows.length ? ["id", ...range(rows[0]!.embedding.length, "emb_")].join("\t") + "\n" : "";
  return head + rows.map((r) => `${tsvCell(r.id)}\t${tsvF32(r.embedding)}\n`).join("");
}

export function classifyTsv(rows: ClassifyRow[], header: boolean): string {
  const head = header && rows.length ? ["id", "label", ...range(rows[0]!.probs.length, "prob_")].join("\t") + "\n" : "";
  return head + rows.map((r) => `${tsvCell(r.id)}\t${tsvCell(r.label)}\t${tsvF32(r.probs)}\n`).join("");
}

export function tokenizeTsv(rows: TokenizeRow[], header: boolean): string {
  const head = header ? "id\tids\ttokens\n" : "";
  return head + rows.map((r) => `${tsvCell(r.id)}\t${r.ids.join(" ")}\t${r.tokens.map(tsvCell).join(" ")}\n`).join("");
}

export function outliersJsonl(rows: OutliersRow[]): string {
  return rows.map((r) => JSON.stringify({ ...(r.model !== undefined ? { model: r.model } : {}), id: r.id, n_tokens: r.nTokens, ...r.summary }) + "\n").join("");
}

/** One line per sequence and module: id, module, mean ∞-norm, mean kurtosis (first the model, when rows name one). */
export function outliersTsv(rows: OutliersRow[], header: boolean): string {
  const named = rows[0]?.model !== undefined;
  const head = header ? `${named ? "model\t" : ""}id\tn_tokens\tmodule\tinf_norm_mean\tkurtosis_mean\n` : "";
  return head + rows.map((r) => Object.entries(r.summary.modules)
    .map(([m, v]) => `${named ? `${tsvCell(r.model ?? "")}\t` : ""}${tsvCell(r.id)}\t${r.nTokens}\t${m}\t${v.infNormMean}\t${v.kurtosisMean}\n`).join("")).join("");
}

/**
 * NPY v1.0 header for a little-endian float32 C-order array of `shape`.
 * The whole preamble is padded to a multiple of 64 bytes (numpy's alignment) and ends in '\n'; `size` pads it
 * further, so a header reserved for a large row count can later be rewritten in place with the real one.
 */
export function npyHeader(shape: readonly number[], size = 0): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const preamble = 10; // magic (6) + version (2) + header length (2)
  const total = Math.max(size, Math.ceil((preamble + dict.length + 1) / 64) * 64);
  if (total % 64 !== 0) throw new RangeError(`npyHeader: size ${size} is not a multiple of 64`);
  dict = dict.padEnd(total - preamble - 1, " ") + "\n";
  const out = new Uint8Array(total);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]); // \x93NUMPY v1.0
  new DataView(out.buffer).setUint16(8, dict.length, true);
  for (let i = 0; i < dict.length; i++) out[preamble + i] = dict.charCodeAt(i);
  return out;
}

/** Rows of equal length as little-endian float32 bytes (DataView: correct on big-endian hosts too). */
export function npyRows(rows: Float32Array[]): Uint8Array {
  const width = rows[0]?.length ?? 0;
  const out = new Uint8Array(rows.length * width * 4);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const row of rows) {
    for (let i = 0; i < row.length; i++, at += 4) view.setFloat32(at, row[i]!, true);
  }
  return out;
}
