// The op table: the typed contract every backend implements (each only the kernels it has, see Backend.supports).
// Buffers are opaque ids holding f32 unless stated; a linear weight is a WeightArg in one of formats.ts's formats.
// Host-side arrays (ids, key masks, slopes) are small and passed by value; sequence metadata is one SeqIndex per batch.
import type { BufferId } from "./buffer.js";
import type { FormatName } from "./formats.js";
import type { SeqIndex } from "./seq.js";

/**
 * The attention softmax: "vanilla" (DNABERT-2) is exp(sᵢ) / Σⱼ exp(sⱼ); "softmax1" (GERM) is
 * exp(sᵢ) / (1 + Σⱼ exp(sⱼ)), which lets a head attend to nothing and removes the activation outliers.
 * @category Model
 */
export type SoftmaxKind = "vanilla" | "softmax1";
/**
 * The elementwise functions of the `unary` op: tanh, or GELU with the exact erf.
 * @category Ops
 */
export type UnaryKind = "tanh" | "gelu";

/**
 * A linear weight [n, k] as a backend runs it: its buffer(s), format, and whether prepareWeight laid it out.
 * @category Op contract
 */
export interface WeightArg {
  /** The weight's elements in `format`'s layout (or the backend's prepared layout when `prepared`). */
  data: BufferId;
  /** f32 scales (per row or per block, as the format says); absent for plain float formats. */
  scales?: BufferId;
  /**
   * q4 only: `scales` holds IEEE halves (2 bytes each) that are exactly the f32 scales (Weight.fromEncoded stores
   * them so only then, on a backend whose linear supports `{ format: "q4", scalesF16: true }`): the same values in
   * half the bytes.
   */
  scalesF16?: boolean;
  /** One of formats.ts's FORMATS. */
  format: FormatName;
  /** Set by Backend.prepareWeight: `data` is in that backend's private GEMM layout. */
  prepared?: boolean;
  /**
   * q8 only: one static activation scale s (f32, finite, > 0; calibrated): every row of x is quantized with it,
   * q = clamp(round_half_even(f32(x / s)), −127, 127), and the int32 sums are rescaled by s·w_scale. Absent: each row
   * of x takes its own scale max|x_row| / 127 (dynamic). formats.ts quantizeRows defines both.
   */
  inputScale?: number;
}

/**
 * The op table: each op's arguments as a backend receives them (raw buffers, sizes, host-side arrays). Fields are
 * described on each op; shapes are row-major, buffers f32 unless stated. Ops of src/ops/ (linear, attention, …)
 * validate Tensors and fill these in.
 * @category Op contract
 */
export interface OpArgs {
  /**
   * out[m,n] = x[m,k] · w[n,k]ᵀ (+ bias[n]): PyTorch Linear layout, the weight in any format; x, bias, out f32.
   * q8 quantizes x to int8 per row, dynamically or with the weight's static `inputScale` (WeightArg).
   */
  linear: { x: BufferId; w: WeightArg; bias?: BufferId; out: BufferId; m: number; n: number; k: number };
  /**
   * Varlen self-attention over a packed batch. qkv [nnz, 3·heads·headDim] (t outermost, then head, then d);
   * out [nnz, heads·headDim]. Sequence s owns rows seqs.offsets[s] .. seqs.offsets[s + 1].
   * Score = q·k/√d − slope[h]·|i−j|; keys with keyMask[j] = 0 are excluded (a row with no keys → zeros).
   * `rows` [start, end): only these query rows of the packed batch are computed (out's other rows are left as they
   * are), so a CPU backend can run one long sequence's attention in blocks with the event loop served in between.
   */
  attention: {
    qkv: BufferId; out: BufferId; seqs: SeqIndex; heads: number; headDim: number;
    softmax: SoftmaxKind; slopes: Float32Array; keyMask?: Uint8Array; rows?: readonly [number, number];
  };
  /** out = LayerNorm(x (+ residual)) over cols, biased variance, per row. */
  layerNorm: {
    x: BufferId; residual?: BufferId; gamma: BufferId; beta: BufferId; out: BufferId;
    rows: number; cols: number; eps: number;
  };
  /** out[r, i] = gelu_erf(x[r, i]) · x[r, inner + i]; x is [rows, 2·inner]. */
  gluGelu: { x: BufferId; out: BufferId; rows: number; inner: number };
  /** out[r] = table[ids[r]] (+ addRow). table [tableRows, cols], f32 in plain layout. */
  gather: { table: BufferId; ids: Int32Array; addRow?: BufferId; out: BufferId; tableRows: number; cols: number };
  /** out[s] = mean of the rows of sequence s. x [seqs.total, cols], out [seqs.count, cols]. */
  meanPool: { x: BufferId; out: BufferId; seqs: SeqIndex; cols: number };
  /** Elementwise out = f(x) over size elements. */
  unary: { x: BufferId; out: BufferId; size: number; kind: UnaryKind };
  /**
   * Per-row statistics for the outlier metrics: out[outRow + r] = (max|x|, mean, Σ(x−mean)², Σ(x−mean)⁴) over the
   * cols of row r of x [rows, cols]; out is [≥ outRow + rows, 4], so every layer of a forward can write one buffer
   * that is read back once. Two passes (mean first), so the moments are centred exactly.
   */
  rowStats: { x: BufferId; out: BufferId; rows: number; cols: number; outRow: number };
  /** out = alpha·x + y over size elements (out may alias y): residual adds, gradient accumulation, optimizer steps. */
  axpy: { x: BufferId; y: BufferId; out: BufferId; size: number; alpha: number };
  /**
   * Fake quantization of each row of x [rows, cols] to `bits` (2…8) and back (formats.ts fakeQuantRows): asymmetric
   * min–max per row (GERM's per-token activation observer), or symmetric max|x| per row (its per-channel weights).
   * `range` [lo, hi] (f32 values) replaces every row's own min and max: a static per-tensor range from calibration,
   * values outside it clamped.
   */
  fakeQuant: { x: BufferId; out: BufferId; rows: number; cols: number; bits: number; symmetric: boolean; range?: readonly [number, number] };
  /**
   * LoRA's low-rank update, added in place to a linear's output (peft's unmerged `lora.Linear`): for each row i in
   * row0 … row0 + rows − 1, out[i, :] += scale · (x[i, :] · aᵀ) · bt, with a [r, k] (lora_A) and bt [r, n] (lora_B
   * transposed, so both inner loops read contiguously), f32. x is [≥ row0 + rows, k], out [≥ row0 + rows, n]. A row's
   * result depends on that row's inputs alone, bit for bit: a batch mixing adapters equals its sequences run alone.
   */
  lora: { x: BufferId; a: BufferId; bt: BufferId; out: BufferId; row0: number; rows: number; n: number; k: number; r: number; scale: number };

  // ---- Training (LoRA fine-tuning): backward passes, a general GEMM, the optimizer. All f32, plain row-major. ----
  /**
   * out[m, n] = alpha · op(a) · op(b) (+ out when accumulate): op(a) [m, k] is a [m, k], or aᵀ of a [k, m] when
   * transA; op(b) [k, n] is b [k, n], or bᵀ of b [n, k] when transB. The GEMM of gradients: dW = dYᵀ·X, LoRA's
   * x·Aᵀ and (x·Aᵀ)·Bᵀ with trainable A and B.
   */
  matmul: { a: BufferId; b: BufferId; out: BufferId; m: number; n: number; k: number; transA: boolean; transB: boolean; alpha: number; accumulate: boolean };
  /**
   * Gradient of attention (same layout and options as `attention`, no key mask): gradQkv [nnz, 3·H] from qkv and
   * gradOut [nnz, H] (= dL/d ctx). P is recomputed per query row (never stored), then with D_i = gradOut_i·ctx_i:
   * dS = P ⊙ (gradOut·vᵀ − D), dq = dS·k/√d, dk = dSᵀ·q/√d, dv = Pᵀ·gradOut — for softmax and softmax1 alike
   * (softmax1's P, whose rows sum to less than 1). `out` is the forward's ctx.
   */
  attentionBackward: {
    qkv: BufferId; out: BufferId; gradOut: BufferId; gradQkv: BufferId; seqs: SeqIndex; heads: number; headDim: number;
    softmax: SoftmaxKind; slopes: Float32Array;
  };
  /**
   * Gradient of out = LayerNorm(x (+ residual)) with respect to its input sum (the residual receives the same):
   * gradX = rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂)), g = gradOut ⊙ gamma; mean and rstd recomputed from x (+ residual).
   */
  layerNormBackward: { x: BufferId; residual?: BufferId; gamma: BufferId; gradOut: BufferId; gradX: BufferId; rows: number; cols: number; eps: number };
  /** Gradient of gluGelu: gradX [rows, 2·inner] = [gradOut ⊙ x₂ ⊙ gelu′(x₁) | gradOut ⊙ gelu(x₁)] from x [rows, 2·inner]. */
  gluGeluBackward: { x: BufferId; gradOut: BufferId; gradX: BufferId; rows: number; inner: number };
  /** Gradient of unary: gradX = gradOut ⊙ f′(x) from the forward input x (tanh′ = 1 − tanh², gelu′ = Φ + x·φ). */
  unaryBackward: { x: BufferId; gradOut: BufferId; gradX: BufferId; size: number; kind: UnaryKind };
  /** Gradient of gather: out [rows, cols] = 0, then out[ids[i]] += x[i] for x [ids.length, cols]. */
  scatterRows: { x: BufferId; ids: Int32Array; out: BufferId; rows: number; cols: number };
  /**
   * One torch.optim.AdamW step in place (step t ≥ 1, m and v from 0): p ·= 1 − lr·wd; m = β1·m + (1 − β1)·g;
   * v = β2·v + (1 − β2)·g²; p −= (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps). Tensors f32, scalars as given.
   */
  adamw: { param: BufferId; grad: BufferId; m: BufferId; v: BufferId; size: number; lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number };
  /**
   * Dropout (contract/dropout.ts): out[i] = dropoutHash(seed, i) ≥ threshold ? f32(x[i]·scale) : 0, seed and threshold
   * u32, scale f32 (dropoutParams(p)). Its gradient is the same op on gradOut with the same seed.
   */
  dropout: { x: BufferId; out: BufferId; size: number; seed: number; threshold: number; scale: number };
}

/**
 * An op's name: a key of {@link OpArgs}.
 * @category Op contract
 */
export type OpName = keyof OpArgs;

/**
 * The op names, in a stable order (for capability listings and tests).
 * @category Op contract
 */
export const OP_NAMES: readonly OpName[] = ["linear", "attention", "layerNorm", "gluGelu", "gather", "meanPool", "unary", "rowStats", "axpy", "fakeQuant", "lora",
  "matmul", "attentionBackward", "layerNormBackward", "gluGeluBackward", "unaryBackward", "scatterRows", "adamw", "dropout"];

/**
 * The compile-time facts of an op call that decide whether a backend can run it at all (not sizes). The model
 * declares these at load (model/needs.ts); a backend's supports() answers from them alone.
 * @category Op contract
 */
export interface OpNeeds {
  /** The weight format of the GEMM, and whether its (q4) scales are stored as halves. */
  linear: { format: FormatName; scalesF16?: boolean };
  /** Softmax kind, head size, and whether a key mask or a query-row range is passed. */
  attention: { softmax: SoftmaxKind; headDim: number; mask?: boolean; rows?: boolean };
  /** No compile-time facts. */
  layerNorm: Record<string, never>;
  /** No compile-time facts. */
  gluGelu: Record<string, never>;
  /** No compile-time facts. */
  gather: Record<string, never>;
  /** No compile-time facts. */
  meanPool: Record<string, never>;
  /** Which function. */
  unary: { kind: UnaryKind };
  /** No compile-time facts. */
  rowStats: Record<string, never>;
  /** No compile-time facts. */
  axpy: Record<string, never>;
  /** No compile-time facts. */
  fakeQuant: Record<string, never>;
  /** No compile-time facts. */
  lora: Record<string, never>;
  /** No compile-time facts. */
  matmul: Record<string, never>;
  /** Softmax kind and head size. */
  attentionBackward: { softmax: SoftmaxKind; headDim: number };
  /** No compile-time facts. */
  layerNormBackward: Record<string, never>;
  /** No compile-time facts. */
  gluGeluBackward: Record<string, never>;
  /** Which function. */
  unaryBackward: { kind: UnaryKind };
  /** No compile-time facts. */
  scatterRows: Record<string, never>;
  /** No compile-time facts. */
  adamw: Record<string, never>;
  /** No compile-time facts. */
  dropout: Record<string, never>;
}

/**
 * The needs of a concrete call (what run() checks before it dispatches).
 * @category Op contract
 * @example
 * const x = Tensor.from(backend, new Float32Array(3), [1, 3]), out = Tensor.empty(backend, [1, 2]);
 * const w = Weight.from(backend, new Float32Array(6), [2, 3], "q8");
 * needsOf("linear", { x: x.buf, w: w.arg, out: out.buf, m: 1, n: 2, k: 3 }); // { format: "q8" }
 * backend.supports("linear", needsOf("linear", { x: x.buf, w: w.arg, out: out.buf, m: 1, n: 2, k: 3 })); // true
 */
export function needsOf<K extends OpName>(op: K, args: OpArgs[K]): OpNeeds[K] {
  switch (op) {
    case "linear": {
      const w = (args as OpArgs["linear"]).w;
      return { format: w.format, ...(w.scalesF16 ? { scalesF16: true } : {}) } as OpNeeds[K];
    }
    case "attention": {
      const a = args as OpArgs["attention"];
      return { softmax: a.softmax, headDim: a.headDim, mask: a.keyMask !== undefined, ...(a.rows ? { rows: true } : {}) } as OpNeeds[K];
    }
    case "unary": return { kind: (args as OpArgs["unary"]).kind } as OpNeeds[K];
    case "unaryBackward": return { kind: (args as OpArgs["unaryBackward"]).kind } as OpNeeds[K];
    case "attentionBackward": {
      const a = args as OpArgs["attentionBackward"];
      return { softmax: a.softmax, headDim: a.headDim } as OpNeeds[K];
    }
    default: return {} as OpNeeds[K];
  }
}

/**
 * One requirement of a model: an op with its compile-time facts.
 * @category Op contract
 */
export type OpRequirement = { [K in OpName]: { op: K; needs: OpNeeds[K] } }[OpName];

/**
 * Floating-point work of one op call, for benchmarks (2 per multiply-add); 0 for ops not worth counting.
 * @category Op contract
 * @example
 * const x = Tensor.empty(backend, [128, 768]), out = Tensor.empty(backend, [128, 2304]);
 * const w = Weight.from(backend, new Float32Array(2304 * 768), [2304, 768]);
 * opFlops("linear", { x: x.buf, w: w.arg, out: out.buf, m: 128, n: 2304, k: 768 }); // 2 · 128 · 2304 · 768
 */
export function opFlops<K extends OpName>(op: K, args: OpArgs[K]): number {
  switch (op) {
    case "linear": { const a = args as OpArgs["linear"]; return 2 * a.m * a.n * a.k; }
    case "attention": {
      const a = args as OpArgs["attention"];
      let s = 0;
      for (const n of a.seqs.lens) s += n * n;
      return 4 * s * a.heads * a.headDim;
    }
    case "lora": { const a = args as OpArgs["lora"]; return 2 * a.rows * a.r * (a.k + a.n); }
    case "matmul": { const a = args as OpArgs["matmul"]; return 2 * a.m * a.n * a.k; }
    case "attentionBackward": {
      const a = args as OpArgs["attentionBackward"];
      let s = 0;
      for (const n of a.seqs.lens) s += n * n;
      return 10 * s * a.heads * a.headDim; // scores, gradOut·vᵀ, dq, dk, dv: 5 GEMM-shaped products
    }
    default: return 0;
  }
}
