// Per-call options shared by the inference calls: which encoder layer to stop at, and how sequences are cut into
// batches (a sequence count and/or a token budget). Results never depend on the batching: only memory does.
import { InputError } from "../errors.js";

/**
 * The `layer` option as a count of encoder layers to run: 0-based K (K = numHiddenLayers − 1 is the last, today's
 * output), negative K from the end as in Python (−1 = last). Undefined → every layer.
 */
export function layersToRun(layer: unknown, numLayers: number, op: string): number {
  if (layer === undefined) return numLayers;
  if (!Number.isInteger(layer) || (layer as number) < -numLayers || (layer as number) >= numLayers) {
    throw new InputError(`${op}: layer must be an integer in ${-numLayers}…${numLayers - 1} (0-based; negative counts from the end), got ${String(layer).slice(0, 40)}`);
  }
  const k = layer as number;
  return (k < 0 ? numLayers + k : k) + 1;
}

/** Validates a maxBatchTokens value (an integer ≥ 1) naming where it came from. */
export function checkMaxBatchTokens(v: unknown, where: string): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 2 ** 31 - 1) {
    throw new InputError(`${where}: maxBatchTokens must be an integer in 1…${2 ** 31 - 1}, got ${String(v).slice(0, 40)}`);
  }
  return v as number;
}

/**
 * Cuts `order` (row indices, already in run order) into consecutive batches of at most `maxSeqs` rows whose padded
 * size — rows × longest row — stays within `maxTokens` (a row longer than the budget runs alone). The padded size
 * bounds every backend's per-batch buffers, packed or not; packing makes the real cost Σ lengths ≤ that.
 */
export function planBatches(order: readonly number[], lens: readonly number[], maxSeqs: number, maxTokens = Infinity): number[][] {
  const out: number[][] = [];
  let cur: number[] = [], longest = 0;
  for (const i of order) {
    const w = Math.max(longest, lens[i]);
    if (cur.length > 0 && (cur.length >= maxSeqs || (cur.length + 1) * w > maxTokens)) { out.push(cur); cur = []; longest = 0; }
    cur.push(i);
    longest = Math.max(longest, lens[i]);
  }
  if (cur.length) out.push(cur);
  return out;
}
