// The op table: the typed contract every backend implements. Buffers are opaque ids holding f32 data
// unless stated; host-side arrays (ids, sequence lengths, slopes) are small and passed by value.
import type { BufferId } from "../backend/backend.js";
import type { DType } from "../tensor/tensor.js";

export type SoftmaxKind = "vanilla" | "softmax1";
export type UnaryKind = "tanh" | "gelu";

export interface OpArgs {
  /**
   * out[m,n] = x[m,k] · w[n,k]ᵀ (+ bias[n]). PyTorch Linear layout. `wDtype` is the weight buffer's format
   * ("f16": IEEE halves, widened to f32 before the multiply; accumulation is f32 or wider); x, bias, out are f32.
   */
  linear: { x: BufferId; w: BufferId; wDtype: DType; bias?: BufferId; out: BufferId; m: number; n: number; k: number };
  /**
   * Varlen self-attention over a packed batch. qkv [nnz, 3·heads·headDim] (t outermost, then head, then d);
   * out [nnz, heads·headDim]. Sequence s owns rows offsets[s]..offsets[s]+seqLens[s].
   * Score = q·k/√d − slope[h]·|i−j|; keys with keyMask[j] = 0 are excluded (a row with no keys → zeros).
   */
  attention: {
    qkv: BufferId; out: BufferId; seqLens: readonly number[]; heads: number; headDim: number;
    softmax: SoftmaxKind; slopes: Float32Array; keyMask?: Uint8Array;
  };
  /** out = LayerNorm(x (+ residual)) over cols, biased variance, per row. */
  layerNorm: {
    x: BufferId; residual?: BufferId; gamma: BufferId; beta: BufferId; out: BufferId;
    rows: number; cols: number; eps: number;
  };
  /** out[r, i] = gelu_erf(x[r, i]) · x[r, inner + i]; x is [rows, 2·inner]. */
  gluGelu: { x: BufferId; out: BufferId; rows: number; inner: number };
  /** out[r] = table[ids[r]] (+ addRow). table [tableRows, cols]. */
  gather: { table: BufferId; ids: Int32Array; addRow?: BufferId; out: BufferId; tableRows: number; cols: number };
  /** out[s] = mean of rows of sequence s. x [Σ seqLens, cols], out [seqLens.length, cols]. */
  meanPool: { x: BufferId; out: BufferId; seqLens: readonly number[]; cols: number };
  /** Elementwise out = f(x) over size elements. */
  unary: { x: BufferId; out: BufferId; size: number; kind: UnaryKind };
}

export type OpName = keyof OpArgs;

/** Floating-point work of one op call, for benchmarks (2 per multiply-add). */
export function opFlops<K extends OpName>(op: K, args: OpArgs[K]): number {
  switch (op) {
    case "linear": { const a = args as OpArgs["linear"]; return 2 * a.m * a.n * a.k; }
    case "attention": {
      const a = args as OpArgs["attention"];
      let s = 0;
      for (const n of a.seqLens) s += n * n;
      return 4 * s * a.heads * a.headDim;
    }
    default: return 0;
  }
}
