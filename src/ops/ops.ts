// User-level ops: validate shapes, allocate the output on the input's backend, dispatch.
// Every shape error names the op, the tensor and the expected shape.
import { Tensor } from "../tensor/tensor.js";
import type { Weight } from "../tensor/weight.js";
import { ShapeError } from "../errors.js";
import type { Backend } from "../contract/backend.js";
import type { OpArgs, OpName, SoftmaxKind, UnaryKind } from "../contract/spec.js";
import type { SeqIndex } from "../contract/seq.js";

// Backend.run refuses (BackendError with the kernel's reason) what it cannot run; the model checked at load.
function dispatch<K extends OpName>(backend: Backend, op: K, args: OpArgs[K]): void {
  backend.run(op, args);
}

// Only linear weights come in other formats (Weight); every Tensor input of an op is f32.
function expectF32(op: string, name: string, t: Tensor): void {
  if (t.format !== "f32") throw new ShapeError(`${op}: ${name} ${t.describe()}: expected f32 (only linear weights take other formats)`);
}

function expectRank(op: string, name: string, t: Tensor, rank: number): void {
  if (t.shape.length !== rank) throw new ShapeError(`${op}: ${name} ${t.describe()}: expected rank ${rank}`);
}

function expectShape(op: string, name: string, t: Tensor, shape: readonly number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`${op}: ${name} ${t.describe()}: expected [${shape.join(", ")}]`);
  }
}

/**
 * y = x·wᵀ + bias, with w a Weight in PyTorch [out, in] layout (any format the backend runs).
 * @category Ops
 * @example
 * const x = Tensor.from(backend, new Float32Array([1, 2, 3]), [1, 3]);
 * const w = Weight.from(backend, new Float32Array([1, 0, 0, 0, 1, 0]), [2, 3]);
 * await linear(x, w, Tensor.from(backend, new Float32Array([10, 20]), [2])).data(); // [11, 22]
 */
export function linear(x: Tensor, w: Weight, bias?: Tensor): Tensor {
  expectRank("linear", "x", x, 2);
  const [m, k] = x.shape, [n, kw] = w.shape;
  if (kw !== k) throw new ShapeError(`linear: w ${w.describe()}: in-features must equal x's last dim ${k}`);
  if (w.backend !== x.backend) throw new ShapeError(`linear: w ${w.describe()} lives on ${w.backend.name}, x on ${x.backend.name}`);
  if (bias) expectShape("linear", "bias", bias, [n]);
  expectF32("linear", "x", x);
  if (bias) expectF32("linear", "bias", bias);
  const out = Tensor.empty(x.backend, [m, n]);
  if (m > 0) dispatch(x.backend, "linear", { x: x.buf, w: w.arg, bias: bias?.buf, out: out.buf, m, n, k });
  return out;
}

/**
 * Options of {@link attention}.
 * @category Ops
 */
export interface AttentionOptions {
  /** The packed sequences: rows of qkv per sequence. */
  seqs: SeqIndex;
  /** Attention heads (hidden = heads · headDim). */
  heads: number;
  /** "vanilla" (DNABERT-2) or "softmax1" (GERM). */
  softmax: SoftmaxKind;
  /** ALiBi slope per head (alibiSlopes(heads)). */
  slopes: Float32Array;
  /** Per row, 0 to exclude that key (a query with no keys left gets zeros). */
  keyMask?: Uint8Array;
  /** Only these query rows [start, end) of the packed batch, written into `into` (CPU backends; for yields in between). */
  rows?: readonly [number, number];
  /** With `rows`: the [nnz, hidden] output to write them into (returned, still owned by the caller). */
  into?: Tensor;
}

/**
 * Varlen ALiBi self-attention over packed rows: qkv [nnz, 3·hidden] → [nnz, hidden].
 * @category Ops
 * @example
 * const seqs = SeqIndex.of([5, 3]);                                  // two sequences, 8 rows
 * const qkv = Tensor.from(backend, new Float32Array(8 * 3 * 128).fill(0.1), [8, 3 * 128]);
 * const ctx = attention(qkv, { seqs, heads: 2, softmax: "softmax1", slopes: alibiSlopes(2) }); // [8, 128]
 */
export function attention(qkv: Tensor, o: AttentionOptions): Tensor {
  expectRank("attention", "qkv", qkv, 2); expectF32("attention", "qkv", qkv);
  const [nnz, three] = qkv.shape;
  if (three % (3 * o.heads) !== 0) {
    throw new ShapeError(`attention: qkv ${qkv.describe()}: last dim must be 3·heads·headDim with heads = ${o.heads}`);
  }
  if (o.seqs.total !== nnz) throw new ShapeError(`attention: qkv ${qkv.describe()}: sequence lengths sum to ${o.seqs.total}, not ${nnz}`);
  if (o.slopes.length !== o.heads) throw new ShapeError(`attention: ${o.slopes.length} ALiBi slopes for ${o.heads} heads`);
  if (o.keyMask && o.keyMask.length !== nnz) throw new ShapeError(`attention: keyMask has ${o.keyMask.length} entries, not ${nnz}`);
  const headDim = three / 3 / o.heads;
  if ((o.rows === undefined) !== (o.into === undefined)) throw new ShapeError("attention: rows and into go together");
  if (o.rows && !(Number.isInteger(o.rows[0]) && Number.isInteger(o.rows[1]) && 0 <= o.rows[0] && o.rows[0] <= o.rows[1] && o.rows[1] <= nnz)) {
    throw new ShapeError(`attention: rows [${o.rows[0]}, ${o.rows[1]}) must lie within the ${nnz} packed rows`);
  }
  if (o.into) { expectF32("attention", "into", o.into); expectShape("attention", "into", o.into, [nnz, o.heads * headDim]); }
  const out = o.into ?? Tensor.empty(qkv.backend, [nnz, o.heads * headDim]);
  if (nnz > 0 && (!o.rows || o.rows[1] > o.rows[0])) {
    dispatch(qkv.backend, "attention", {
      qkv: qkv.buf, out: out.buf, seqs: o.seqs, heads: o.heads, headDim,
      softmax: o.softmax, slopes: o.slopes, keyMask: o.keyMask, ...(o.rows ? { rows: o.rows } : {}),
    });
  }
  return out;
}

/**
 * LayerNorm over the last dim of x (+ residual), biased variance.
 * @category Ops
 * @example
 * const x = Tensor.from(backend, new Float32Array([1, 2, 3, 4]), [1, 4]);
 * const ones = Tensor.from(backend, new Float32Array(4).fill(1), [4]);
 * const zeros = Tensor.from(backend, new Float32Array(4), [4]);
 * await layerNorm(x, ones, zeros, 1e-12).data(); // ≈ [-1.342, -0.447, 0.447, 1.342]
 */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number, residual?: Tensor): Tensor {
  expectRank("layerNorm", "x", x, 2);
  const [rows, cols] = x.shape;
  expectShape("layerNorm", "gamma", gamma, [cols]);
  expectShape("layerNorm", "beta", beta, [cols]);
  if (residual) expectShape("layerNorm", "residual", residual, x.shape);
  for (const [name, t] of [["x", x], ["gamma", gamma], ["beta", beta], ["residual", residual]] as const) if (t) expectF32("layerNorm", name, t);
  const out = Tensor.empty(x.backend, [rows, cols]);
  if (rows > 0) dispatch(x.backend, "layerNorm", { x: x.buf, residual: residual?.buf, gamma: gamma.buf, beta: beta.buf, out: out.buf, rows, cols, eps });
  return out;
}

/**
 * GLU with exact GELU: [rows, 2I] → gelu(x[:, :I]) · x[:, I:].
 * @category Ops
 * @example
 * await gluGelu(Tensor.from(backend, new Float32Array([1, 2]), [1, 2])).data(); // [geluErf(1) · 2] ≈ [1.683]
 */
export function gluGelu(x: Tensor): Tensor {
  expectRank("gluGelu", "x", x, 2); expectF32("gluGelu", "x", x);
  const [rows, two] = x.shape;
  if (two % 2 !== 0) throw new ShapeError(`gluGelu: x ${x.describe()}: last dim must be even (2·intermediate)`);
  const out = Tensor.empty(x.backend, [rows, two / 2]);
  if (rows > 0) dispatch(x.backend, "gluGelu", { x: x.buf, out: out.buf, rows, inner: two / 2 });
  return out;
}

/**
 * Rows of table picked by ids, plus an optional broadcast row (the token-type embedding).
 * @category Ops
 * @example
 * const table = Tensor.from(backend, new Float32Array([0, 0, 1, 1, 2, 2]), [3, 2]);
 * await gather(table, Int32Array.of(2, 0)).data(); // [2, 2, 0, 0]
 */
export function gather(table: Tensor, ids: Int32Array, addRow?: Tensor): Tensor {
  expectRank("gather", "table", table, 2);
  const [tableRows, cols] = table.shape;
  if (addRow) expectShape("gather", "addRow", addRow, [cols]);
  expectF32("gather", "table", table);
  if (addRow) expectF32("gather", "addRow", addRow);
  ids.forEach((id, r) => {
    if (!Number.isInteger(id) || id < 0 || id >= tableRows) {
      throw new ShapeError(`gather: id ${id} at position ${r} is outside table ${table.describe()}`);
    }
  });
  const out = Tensor.empty(table.backend, [ids.length, cols]);
  if (ids.length > 0) dispatch(table.backend, "gather", { table: table.buf, ids, addRow: addRow?.buf, out: out.buf, tableRows, cols });
  return out;
}

/**
 * Mean over each sequence's rows of a packed [Σ seqLens, cols] tensor → [seqs, cols].
 * @category Ops
 * @example
 * const x = Tensor.from(backend, new Float32Array([1, 2, 3, 10]), [4, 1]);
 * await meanPool(x, SeqIndex.of([3, 1])).data(); // [2, 10]
 */
export function meanPool(x: Tensor, seqs: SeqIndex): Tensor {
  expectRank("meanPool", "x", x, 2); expectF32("meanPool", "x", x);
  if (seqs.total !== x.shape[0]) throw new ShapeError(`meanPool: x ${x.describe()}: sequence lengths sum to ${seqs.total}`);
  const out = Tensor.empty(x.backend, [seqs.count, x.shape[1]]);
  if (seqs.count > 0) dispatch(x.backend, "meanPool", { x: x.buf, out: out.buf, seqs, cols: x.shape[1] });
  return out;
}

/**
 * Elementwise tanh or exact GELU.
 * @category Ops
 * @example
 * await unary(Tensor.from(backend, new Float32Array([0, 1]), [2]), "gelu").data(); // [0, ≈ 0.8413]
 */
export function unary(x: Tensor, kind: UnaryKind): Tensor {
  expectF32("unary", "x", x);
  const out = Tensor.empty(x.backend, x.shape);
  if (x.size > 0) dispatch(x.backend, "unary", { x: x.buf, out: out.buf, size: x.size, kind });
  return out;
}

/**
 * Each row of x [rows, cols] fake-quantized to `bits` (2…8) and back: asymmetric per row, or symmetric; with `range`
 * [lo, hi], one static range for every row (values outside it clamped).
 * @category Ops
 * @example
 * await fakeQuant(Tensor.from(backend, new Float32Array([0, 0.3, 1]), [1, 3]), 2).data(); // [0, 0.333…, 1]
 * await fakeQuant(Tensor.from(backend, new Float32Array([0, 0.3, 5]), [1, 3]), 2, false, [0, 1]).data(); // [0, 0.333…, 1]
 */
export function fakeQuant(x: Tensor, bits: number, symmetric = false, range?: readonly [number, number]): Tensor {
  expectRank("fakeQuant", "x", x, 2); expectF32("fakeQuant", "x", x);
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) throw new ShapeError(`fakeQuant: bits ${bits} must be an integer in 2…8`);
  if (range && !(Number.isFinite(range[0]) && Number.isFinite(range[1]) && range[0] <= range[1])) {
    throw new ShapeError(`fakeQuant: range [${range[0]}, ${range[1]}] must be finite with lo ≤ hi`);
  }
  const [rows, cols] = x.shape;
  const out = Tensor.empty(x.backend, [rows, cols]);
  if (rows > 0) dispatch(x.backend, "fakeQuant", { x: x.buf, out: out.buf, rows, cols, bits, symmetric, range });
  return out;
}

/**
 * alpha·x + y, elementwise over two f32 tensors of one shape.
 * @category Ops
 * @example
 * const x = Tensor.from(backend, new Float32Array([1, 2]), [2]);
 * const y = Tensor.from(backend, new Float32Array([10, 10]), [2]);
 * await axpy(0.5, x, y).data(); // [10.5, 11]
 */
export function axpy(alpha: number, x: Tensor, y: Tensor): Tensor {
  expectF32("axpy", "x", x); expectF32("axpy", "y", y);
  expectShape("axpy", "y", y, x.shape);
  if (!Number.isFinite(alpha)) throw new ShapeError(`axpy: alpha ${alpha} is not a finite number`);
  const out = Tensor.empty(x.backend, x.shape);
  if (x.size > 0) dispatch(x.backend, "axpy", { x: x.buf, y: y.buf, out: out.buf, size: x.size, alpha });
  return out;
}

/**
 * Per-row (max|x|, mean, Σ(x−mean)², Σ(x−mean)⁴) of x [rows, cols] → a new [rows, 4] tensor, or into rows
 * `at.row …` of `at.out` [R, 4] (returned, still owned by the caller), for the outlier metrics.
 * @category Ops
 * @example
 * await rowStats(Tensor.from(backend, new Float32Array([1, -3]), [1, 2])).data(); // [3, -1, 8, 32]
 */
export function rowStats(x: Tensor, at?: { out: Tensor; row: number }): Tensor {
  expectRank("rowStats", "x", x, 2); expectF32("rowStats", "x", x);
  const [rows, cols] = x.shape;
  if (at) {
    expectRank("rowStats", "out", at.out, 2); expectF32("rowStats", "out", at.out);
    if (at.out.shape[1] !== 4 || !Number.isInteger(at.row) || at.row < 0 || at.row + rows > at.out.shape[0]) {
      throw new ShapeError(`rowStats: out ${at.out.describe()}: rows ${at.row}..${at.row + rows} of [R, 4] do not fit`);
    }
  }
  const out = at?.out ?? Tensor.empty(x.backend, [rows, 4]);
  if (rows > 0) dispatch(x.backend, "rowStats", { x: x.buf, out: out.buf, rows, cols, outRow: at?.row ?? 0 });
  return out;
}

/**
 * LoRA's update added in place to a linear's output y [m, n]: rows `rows.start …` (default all) of y gain
 * scale·(x·aᵀ)·bt, with x [m, k], a [r, k] (lora_A) and bt [r, n] (lora_B transposed). Returns y.
 * @category Ops
 * @example
 * const x = Tensor.from(backend, new Float32Array([1, 2]), [1, 2]);
 * const y = Tensor.from(backend, new Float32Array([0, 0, 0]), [1, 3]);
 * const a = Tensor.from(backend, new Float32Array([1, 1]), [1, 2]);      // lora_A, r = 1
 * const bt = Tensor.from(backend, new Float32Array([1, 0, 2]), [1, 3]);  // lora_B transposed
 * await loraAdd(y, x, a, bt, 0.5).data(); // 0.5 · (1 + 2) · [1, 0, 2] = [1.5, 0, 3]
 */
export function loraAdd(y: Tensor, x: Tensor, a: Tensor, bt: Tensor, scale: number, rows?: { start: number; count: number }): Tensor {
  for (const [name, t] of [["y", y], ["x", x], ["a", a], ["bt", bt]] as const) { expectRank("lora", name, t, 2); expectF32("lora", name, t); }
  const [m, k] = x.shape, [r] = a.shape, n = y.shape[1];
  expectShape("lora", "y", y, [m, n]);
  expectShape("lora", "a", a, [r, k]);
  expectShape("lora", "bt", bt, [r, n]);
  for (const t of [y, a, bt]) if (t.backend !== x.backend) throw new ShapeError(`lora: ${t.describe()} lives on ${t.backend.name}, x on ${x.backend.name}`);
  if (!Number.isFinite(scale)) throw new ShapeError(`lora: scale ${scale} is not a finite number`);
  const start = rows?.start ?? 0, count = rows?.count ?? m;
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > m) {
    throw new ShapeError(`lora: rows ${start}…${start + count} are outside x ${x.describe()}`);
  }
  if (count > 0 && r > 0) dispatch(x.backend, "lora", { x: x.buf, a: a.buf, bt: bt.buf, out: y.buf, row0: start, rows: count, n, k, r, scale });
  return y;
}
