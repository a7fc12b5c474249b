// Host-side shaping of model outputs: split packed rows per sequence, softmax over logits.

/** Split a packed [Σ counts, cols] array into one copy per sequence. */
export function splitRows(data: Float32Array, counts: readonly number[], cols: number): Float32Array[] {
  const out: Float32Array[] = [];
  let o = 0;
  for (const n of counts) { out.push(data.slice(o * cols, (o + n) * cols)); o += n; }
  return out;
}

/** Numerically stable softmax of one logit row. */
export function softmaxRow(logits: Float32Array): Float32Array {
  let m = -Infinity;
  for (const v of logits) m = Math.max(m, v);
  let sum = 0;
  const e = Float64Array.from(logits, (v) => { const x = Math.exp(v - m); sum += x; return x; });
  return Float32Array.from(e, (x) => x / sum);
}
