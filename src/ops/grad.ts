// User-level training ops (LoRA fine-tuning): the general GEMM, each forward op's backward, gather's scatter and the
// AdamW step. Shapes are checked here, as in ops.ts; outputs are new tensors except where an op updates in place
// (matmul with accumulate, adamw), which says so.
import { Tensor } from "../tensor/tensor.js";
import { ShapeError } from "../errors.js";
import type { OpArgs, OpName, SoftmaxKind, UnaryKind } from "../contract/spec.js";
import type { SeqIndex } from "../contract/seq.js";
import { dropoutParams } from "../contract/dropout.js";

function run<K extends OpName>(t: Tensor, op: K, args: OpArgs[K]): void { t.backend.run(op, args); }

function check(op: string, ts: [string, Tensor | undefined, readonly number[] | null][]): void {
  const backend = ts[0][1]!.backend;
  for (const [name, t, shape] of ts) {
    if (!t) continue;
    if (t.format !== "f32") throw new ShapeError(`${op}: ${name} ${t.describe()}: expected f32`);
    if (t.backend !== backend) throw new ShapeError(`${op}: ${name} ${t.describe()} lives on ${t.backend.name}, not ${backend.name}`);
    if (shape && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
      throw new ShapeError(`${op}: ${name} ${t.describe()}: expected [${shape.join(", ")}]`);
    }
  }
}

const rank2 = (op: string, name: string, t: Tensor): [number, number] => {
  if (t.shape.length !== 2) throw new ShapeError(`${op}: ${name} ${t.describe()}: expected rank 2`);
  return t.shape as [number, number];
};

/**
 * alpha · op(a) · op(b) with op(a) = a or aᵀ, op(b) = b or bᵀ → a new [m, n] tensor, or added into `into` (returned).
 * @example
 * const dW = matmul(dY, X, { transA: true });         // dYᵀ·X
 */
export function matmul(a: Tensor, b: Tensor, o: { transA?: boolean; transB?: boolean; alpha?: number; into?: Tensor } = {}): Tensor {
  const [ar, ac] = rank2("matmul", "a", a), [br, bc] = rank2("matmul", "b", b);
  const transA = o.transA ?? false, transB = o.transB ?? false, alpha = o.alpha ?? 1;
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const [kb, n] = transB ? [bc, br] : [br, bc];
  if (kb !== k) throw new ShapeError(`matmul: a ${a.describe()}${transA ? "ᵀ" : ""} · b ${b.describe()}${transB ? "ᵀ" : ""}: inner dims ${k} ≠ ${kb}`);
  if (!Number.isFinite(alpha)) throw new ShapeError(`matmul: alpha ${alpha} is not a finite number`);
  check("matmul", [["a", a, null], ["b", b, null], ["into", o.into, [m, n]]]);
  const out = o.into ?? Tensor.empty(a.backend, [m, n]);
  if (m > 0 && n > 0) {
    // k = 0: the product is zero (out = 0, or out unchanged when accumulating).
    run(a, "matmul", { a: a.buf, b: b.buf, out: out.buf, m, n, k, transA, transB, alpha, accumulate: o.into !== undefined });
  }
  return out;
}

/** dL/d qkv of attention(qkv, …) = ctx, from gradOut = dL/d ctx. */
export function attentionBackward(qkv: Tensor, ctx: Tensor, gradOut: Tensor, o: { seqs: SeqIndex; heads: number; softmax: SoftmaxKind; slopes: Float32Array }): Tensor {
  const [nnz, three] = rank2("attentionBackward", "qkv", qkv);
  if (three % (3 * o.heads) !== 0) throw new ShapeError(`attentionBackward: qkv ${qkv.describe()}: last dim must be 3·heads·headDim`);
  if (o.seqs.total !== nnz) throw new ShapeError(`attentionBackward: qkv ${qkv.describe()}: sequence lengths sum to ${o.seqs.total}`);
  const H = three / 3, headDim = H / o.heads;
  check("attentionBackward", [["qkv", qkv, null], ["ctx", ctx, [nnz, H]], ["gradOut", gradOut, [nnz, H]]]);
  const g = Tensor.empty(qkv.backend, [nnz, three]);
  if (nnz > 0) {
    run(qkv, "attentionBackward", { qkv: qkv.buf, out: ctx.buf, gradOut: gradOut.buf, gradQkv: g.buf, seqs: o.seqs, heads: o.heads, headDim, softmax: o.softmax, slopes: o.slopes });
  }
  return g;
}

/** dL/d(x + residual) of layerNorm(x, gamma, ·, eps, residual), from gradOut. */
export function layerNormBackward(x: Tensor, gamma: Tensor, gradOut: Tensor, eps: number, residual?: Tensor): Tensor {
  const [rows, cols] = rank2("layerNormBackward", "x", x);
  check("layerNormBackward", [["x", x, null], ["gamma", gamma, [cols]], ["gradOut", gradOut, [rows, cols]], ["residual", residual, [rows, cols]]]);
  const g = Tensor.empty(x.backend, [rows, cols]);
  if (rows > 0) run(x, "layerNormBackward", { x: x.buf, residual: residual?.buf, gamma: gamma.buf, gradOut: gradOut.buf, gradX: g.buf, rows, cols, eps });
  return g;
}

/** dL/dx of gluGelu(x) [rows, 2I], from gradOut [rows, I]. */
export function gluGeluBackward(x: Tensor, gradOut: Tensor): Tensor {
  const [rows, two] = rank2("gluGeluBackward", "x", x);
  check("gluGeluBackward", [["x", x, null], ["gradOut", gradOut, [rows, two / 2]]]);
  const g = Tensor.empty(x.backend, [rows, two]);
  if (rows > 0) run(x, "gluGeluBackward", { x: x.buf, gradOut: gradOut.buf, gradX: g.buf, rows, inner: two / 2 });
  return g;
}

/** dL/dx of unary(x, kind), from gradOut. */
export function unaryBackward(x: Tensor, gradOut: Tensor, kind: UnaryKind): Tensor {
  check("unaryBackward", [["x", x, null], ["gradOut", gradOut, x.shape]]);
  const g = Tensor.empty(x.backend, x.shape);
  if (x.size > 0) run(x, "unaryBackward", { x: x.buf, gradOut: gradOut.buf, gradX: g.buf, size: x.size, kind });
  return g;
}

/** gather's gradient: a zero [rows, cols] tensor with x's rows added at `ids`. */
export function scatterRows(x: Tensor, ids: Int32Array, rows: number): Tensor {
  const [n, cols] = rank2("scatterRows", "x", x);
  check("scatterRows", [["x", x, null]]);
  if (ids.length !== n) throw new ShapeError(`scatterRows: ${ids.length} ids for x ${x.describe()}`);
  ids.forEach((id, i) => { if (!Number.isInteger(id) || id < 0 || id >= rows) throw new ShapeError(`scatterRows: id ${id} at ${i} is outside [0, ${rows})`); });
  const out = Tensor.empty(x.backend, [rows, cols]);
  if (rows > 0 && cols > 0) run(x, "scatterRows", { x: x.buf, ids, out: out.buf, rows, cols });
  return out;
}

export interface AdamWOptions { lr: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number; step: number }

/** One AdamW step, in place on param, m and v (torch.optim.AdamW's defaults: β 0.9, 0.999, eps 1e-8). */
export function adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, o: AdamWOptions): void {
  check("adamw", [["param", param, null], ["grad", grad, param.shape], ["m", m, param.shape], ["v", v, param.shape]]);
  const { lr, step } = o, beta1 = o.beta1 ?? 0.9, beta2 = o.beta2 ?? 0.999, eps = o.eps ?? 1e-8, weightDecay = o.weightDecay ?? 0;
  if (!Number.isInteger(step) || step < 1) throw new ShapeError(`adamw: step ${step} must be an integer ≥ 1`);
  for (const [name, val] of [["lr", lr], ["beta1", beta1], ["beta2", beta2], ["eps", eps], ["weightDecay", weightDecay]] as const) {
    if (!Number.isFinite(val) || val < 0) throw new ShapeError(`adamw: ${name} ${val} must be a finite number ≥ 0`);
  }
  if (param.size > 0) run(param, "adamw", { param: param.buf, grad: grad.buf, m: m.buf, v: v.buf, size: param.size, lr, beta1, beta2, eps, weightDecay, step });
}

/**
 * Dropout with probability p (0 ≤ p < 1) under a u32 `seed`: each element kept with probability 1 − p and scaled by
 * 1/(1 − p), else 0 (contract/dropout.ts). The mask is a function of (seed, element index) only, so the same call on
 * the gradient (same seed) is the backward pass, and every backend draws the same mask.
 * @example
 * const y = dropout(x, 0.1, 12345);       // training forward
 * const dx = dropout(dy, 0.1, 12345);     // its gradient
 */
export function dropout(x: Tensor, p: number, seed: number): Tensor {
  check("dropout", [["x", x, null]]);
  if (!(p >= 0 && p < 1)) throw new ShapeError(`dropout: p ${p} must be in [0, 1)`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new ShapeError(`dropout: seed ${seed} must be a u32`);
  const out = Tensor.empty(x.backend, x.shape);
  const { threshold, scale } = dropoutParams(p);
  if (x.size > 0) run(x, "dropout", { x: x.buf, out: out.buf, size: x.size, seed, threshold, scale });
  return out;
}
