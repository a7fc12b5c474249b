// Windows over long sequences (issue 12): where the windows of a record lie, in bp or in tokens, and the host-side
// reductions over them. The model runs each window as its own sequence (GermModel.embedWindows).
import { InputError } from "../errors.js";
import type { TokenOffset } from "../tokenizer/tokenizer.js";

/**
 * How {@link GermModel.embedWindows} cuts each record. Windows start at 0, stride, 2·stride, … and the last one is
 * **partial**: it ends at the record's end (it is not shifted left to full size), and no window starts after the one
 * that reaches the end. A record no longer than `size` is one window, the whole record. `stride` > `size` leaves
 * gaps (then the record's tail may fall in a gap too: windows start only at multiples of `stride`); `stride` < `size`
 * overlaps.
 * @category Model
 */
export interface WindowSpec {
  /** Window length in `unit`s (≥ 1). Default 510 tokens (512 with [CLS]/[SEP], DNABERT-2's training length; `maxLength` − 2 when set). */
  size?: number;
  /** Distance between window starts in `unit`s (≥ 1); default `size` (windows tile the record). */
  stride?: number;
  /**
   * "bp": windows are substrings of the text (character positions), each embedded exactly as `embed` embeds that
   * substring. "tokens" (default): windows are ranges of the record's own tokenization (content tokens, without
   * [CLS]/[SEP]), each run as `[CLS] tokens [SEP]`, so every window holds exactly `size` tokens and a token never
   * straddles two windows; bp coordinates come from the token offsets.
   */
  unit?: "bp" | "tokens";
}

/**
 * One window's embedding from {@link GermModel.embedWindows}.
 * @category Model
 */
export interface WindowEmbedding {
  /** Index of the record (input text) the window belongs to. */
  seq: number;
  /** First character of the window in the record: 0-based bp coordinate, inclusive. */
  start: number;
  /** End of the window in the record: 0-based bp coordinate, exclusive (end − start bp). */
  end: number;
  /** The window's pooled vector (hidden size). */
  vector: Float32Array;
}

/**
 * Default window length in tokens of {@link GermModel.embedWindows}: DNABERT-2 was trained on 512-token inputs
 * ([CLS] + 510 + [SEP]); 510 tokens are about 2.5–3 kbp of DNA.
 * @category Model
 */
export const DEFAULT_WINDOW_TOKENS = 510;

/** Validated window parameters. */
export interface ResolvedWindow { size: number; stride: number; unit: "bp" | "tokens" }

/** Validates `window` (InputError naming the field); `maxLength` caps token windows and sets their default size. */
export function resolveWindow(w: unknown, maxLength: number | undefined, op: string): ResolvedWindow {
  if (w !== undefined && (typeof w !== "object" || w === null || Array.isArray(w))) throw new InputError(`${op}: window must be an object { size, stride, unit }, got ${w === null ? "null" : typeof w}`);
  const spec = (w ?? {}) as WindowSpec;
  const unit = spec.unit ?? "tokens";
  if (unit !== "bp" && unit !== "tokens") throw new InputError(`${op}: window.unit must be "bp" or "tokens", got ${JSON.stringify(unit)}`);
  const dflt = unit === "tokens" ? (maxLength !== undefined ? maxLength - 2 : DEFAULT_WINDOW_TOKENS) : undefined;
  const int = (v: unknown, name: string): number => {
    if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 2 ** 31 - 1) throw new InputError(`${op}: window.${name} must be an integer ≥ 1, got ${String(v).slice(0, 40)}`);
    return v as number;
  };
  if (spec.size === undefined && dflt === undefined) throw new InputError(`${op}: window.size is required with unit "bp"`);
  const size = int(spec.size ?? dflt, "size");
  const stride = int(spec.stride ?? size, "stride");
  if (unit === "tokens" && maxLength !== undefined && size > maxLength - 2) {
    throw new InputError(`${op}: window.size ${size} tokens does not fit maxLength ${maxLength} (at most ${maxLength - 2} plus [CLS]/[SEP])`);
  }
  return { size, stride, unit };
}

/** The windows `[start, end)` over positions 0…length (see WindowSpec for the rules). */
export function windowRanges(length: number, size: number, stride: number): Array<[number, number]> {
  if (length <= size) return [[0, length]];
  const out: Array<[number, number]> = [];
  for (let s = 0; s < length; s += stride) {
    out.push([s, Math.min(s + size, length)]);
    if (s + size >= length) break;
  }
  return out;
}

/** bp span of content tokens [i, j) from their offsets (content only, no specials); an empty range is [0, 0). */
export function tokenSpan(offsets: readonly TokenOffset[], i: number, j: number): [number, number] {
  return j > i ? [offsets[i]![0], offsets[j - 1]![1]] : [0, 0];
}

/**
 * One vector per record from its windows (as {@link GermModel.embedWindows} returns them): the mean of the window
 * vectors, by default weighted by each window's length in bp (`weight: "length"`: a short last window counts for
 * what it covers), or plain (`"none"`). `records` is the number of inputs (records without windows cannot occur:
 * every record has at least one).
 * @category Model
 * @example
 * const windows = await model.embedWindows([dna], { window: { size: 3000, stride: 1500, unit: "bp" } });
 * const [whole] = aggregateWindows(windows);                   // length-weighted mean of the window vectors
 * const [plain] = aggregateWindows(windows, { weight: "none" }); // every window counts once
 */
export function aggregateWindows(windows: readonly WindowEmbedding[], opts: { weight?: "length" | "none"; records?: number } = {}): Float32Array[] {
  const weight = opts.weight ?? "length";
  if (weight !== "length" && weight !== "none") throw new InputError(`aggregateWindows: weight must be "length" or "none", got ${JSON.stringify(weight)}`);
  const n = opts.records ?? windows.reduce((m, w) => Math.max(m, w.seq + 1), 0);
  const sums: (Float64Array | undefined)[] = new Array(n), totals = new Float64Array(n);
  for (const w of windows) {
    // A zero-length window (an empty record) still counts once, so an empty record gets its one vector.
    const k = weight === "none" ? 1 : Math.max(w.end - w.start, 0) || 1;
    const acc = (sums[w.seq] ??= new Float64Array(w.vector.length));
    for (let i = 0; i < acc.length; i++) acc[i] += k * w.vector[i]!;
    totals[w.seq] += k;
  }
  return Array.from({ length: n }, (_, r) => {
    const acc = sums[r];
    if (acc === undefined) throw new InputError(`aggregateWindows: record ${r} has no windows`);
    return Float32Array.from(acc, (v) => v / totals[r]!);
  });
}

/** Per-dimension max over each sequence's rows of a packed [Σ lens, cols] array (host side, in f32). */
export function maxRows(data: Float32Array, lens: readonly number[], cols: number): Float32Array[] {
  const out: Float32Array[] = [];
  let o = 0;
  for (const n of lens) {
    const m = new Float32Array(cols).fill(-Infinity);
    for (let r = 0; r < n; r++, o++) {
      const row = o * cols;
      for (let c = 0; c < cols; c++) { const v = data[row + c]!; if (v > m[c]! || Number.isNaN(v)) m[c] = v; }
    }
    out.push(m);
  }
  return out;
}

/**
 * The `layer` option of {@link GermModel.forward}, {@link GermModel.embed}, {@link GermModel.embedTokens} and
 * {@link GermModel.embedWindows}.
 * @category Model
 */
export interface LayerOption {
  /**
   * Which encoder layer's output to return: 0-based K, where K = numHiddenLayers − 1 is the last (the default, what
   * the calls return without it); negative K counts from the end as in Python (−1 = last, −2 = the one before).
   * Only layers 0…K run. The output of layer K is its final LayerNorm (`layer.K.mlp.layernorm` in the GERM hooks);
   * pooling (and the pooler) then reads it as it reads the last layer.
   */
  layer?: number;
}

/**
 * Per-token output of one sequence from {@link GermModel.embedTokens}.
 * @category Model
 */
export interface TokenEmbeddings {
  /** Token ids, [CLS] first and [SEP] last (after `maxLength` truncation, if set). */
  ids: number[];
  /** Token strings ("[CLS]", "A", "CGTA", …). */
  tokens: string[];
  /** Each token's `[start, end)` in the input text (specials empty), as tokenizer.encode(text, { offsets: true }) gives. */
  offsets: TokenOffset[];
  /** Hidden states of every token, [tokens.length × hidden] row-major: token i is `vectors.subarray(i·H, (i+1)·H)`. */
  vectors: Float32Array;
}
