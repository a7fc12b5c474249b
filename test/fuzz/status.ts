// The status record a fuzz worker rewrites (one pwrite at offset 0) before every input: the index it is about to
// run, outcome counts of the inputs it finished, its slowest input, and what the current input is. The runner reads
// it from outside, so a worker that hangs or dies still leaves its counts and the culprit's index behind.
import { OUTCOMES, type Outcome } from "./target.js";

export const STATUS_BYTES = 512;
const WHAT_AT = 8 * 12, WHAT_MAX = STATUS_BYTES - WHAT_AT - 2;

export interface Status {
  /** Input now running; -1 while starting; `to` when finished. */
  index: number;
  counts: Record<Outcome, number>;
  maxMs: number;
  maxIndex: number;
  /** Inputs whose maker threw (a bug in the fuzzer, not in a parser). */
  harness: number;
  what: string;
}

export function emptyCounts(): Record<Outcome, number> {
  return Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
}

export function encodeStatus(s: Status, out: Uint8Array): void {
  const f = new Float64Array(out.buffer, out.byteOffset, 12);
  f[0] = s.index;
  OUTCOMES.forEach((o, k) => { f[1 + k] = s.counts[o]; });
  f[8] = s.harness;
  f[10] = s.maxMs;
  f[11] = s.maxIndex;
  const w = new TextEncoder().encode(s.what).subarray(0, WHAT_MAX);
  new DataView(out.buffer, out.byteOffset).setUint16(WHAT_AT, w.length, true);
  out.set(w, WHAT_AT + 2);
}

export function decodeStatus(b: Uint8Array): Status {
  const f = new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + 96));
  const counts = emptyCounts();
  OUTCOMES.forEach((o, k) => { counts[o] = f[1 + k]!; });
  const n = new DataView(b.buffer, b.byteOffset).getUint16(WHAT_AT, true);
  return { index: f[0]!, counts, harness: f[8]!, maxMs: f[10]!, maxIndex: f[11]!, what: new TextDecoder().decode(b.subarray(WHAT_AT + 2, WHAT_AT + 2 + Math.min(n, WHAT_MAX))) };
}
