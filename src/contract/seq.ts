// Sequence metadata of a packed (unpadded) batch, built once per batch and shared by every op of its forward
// (attention in every layer, pooling, heads). Backends may keep a device copy keyed by the object's identity.

/**
 * Lengths of the sequences packed one after another into the rows of a batch, and where each one starts.
 * @category Tensors
 * @example
 * const s = SeqIndex.of([3, 5]); // s.offsets = [0, 3, 8], s.total = 8, s.maxLen = 5
 */
export class SeqIndex {
  /** offsets[i] = first row of sequence i; offsets[count] = total rows (the cuSeqlens of flash-attention). */
  readonly offsets: Int32Array;
  /** Rows of the batch: the sum of the lengths. */
  readonly total: number;
  /** The longest sequence's length (0 for an empty batch). */
  readonly maxLen: number;

  private constructor(
    /** Length of each sequence, in batch order. */
    readonly lens: readonly number[],
  ) {
    this.offsets = new Int32Array(lens.length + 1);
    let max = 0;
    lens.forEach((n, i) => { this.offsets[i + 1] = this.offsets[i] + n; max = Math.max(max, n); });
    this.total = this.offsets[lens.length];
    this.maxLen = max;
  }

  /** The index of sequences of these lengths (non-negative integers), packed in this order. */
  static of(lens: readonly number[]): SeqIndex {
    for (const n of lens) if (!Number.isInteger(n) || n < 0) throw new RangeError(`sequence length ${n} is not a non-negative integer`);
    return new SeqIndex([...lens]);
  }

  /** Number of sequences. */
  get count(): number { return this.lens.length; }

  private pairsCache: Int32Array | null = null;

  /** (start, length) per sequence, the layout the Wasm and WGSL kernels read; made once per batch, not per layer. */
  pairs(): Int32Array {
    if (!this.pairsCache) {
      const p = new Int32Array(2 * this.count);
      this.lens.forEach((n, i) => { p[2 * i] = this.offsets[i]; p[2 * i + 1] = n; });
      this.pairsCache = p;
    }
    return this.pairsCache;
  }
}
