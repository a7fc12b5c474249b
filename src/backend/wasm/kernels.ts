// Marshalling of each op into the argument block that assembly/index.ts exec() reads (slot 0 opcode, 1 chunk
// counter, 2… fields as listed beside each AS kernel). Host arrays (ids, lengths, slopes, masks) go to staging.
import type { OpArgs, OpName } from "../../ops/spec.js";
import type { BufferId } from "../backend.js";

export const OP = { LINEAR: 1, PACK: 2, UNPACK: 3, ATTENTION: 4, LAYER_NORM: 5, GLU_GELU: 6, GATHER: 7, MEAN_POOL: 8, UNARY: 9 } as const;

/** What kernels need from the backend (implemented by WasmBackend). */
export interface KernelHost {
  /** Pointer to a buffer in plain row-major layout (unpacks a packed weight first). */
  raw(id: BufferId): number;
  /** Pointer to w [n,k] in packed-panel layout (packs in place on first use). */
  packed(id: BufferId, n: number, k: number): number;
  /** A table for gather: its pointer as stored, and how many leading rows are packed panels (0 = row-major). */
  table(id: BufferId, cols: number): { ptr: number; packedRows: number };
  /** Copy host arrays into staging memory; returns their pointers (valid until the next call). */
  stage(...arrays: ArrayBufferView[]): number[];
  /** Per-thread scratch of at least `bytes` each: thread t uses base + t·stride. */
  scratch(bytes: number): [base: number, stride: number];
  /** Fill the argument block (ints from slot 2; floats at their slot) and run on every thread. */
  call(op: number, ints: number[], floats?: Record<number, number>): void;
}

const seqPairs = (lens: readonly number[]): Int32Array => {
  const p = new Int32Array(lens.length * 2);
  let o = 0;
  lens.forEach((n, i) => { p[2 * i] = o; p[2 * i + 1] = n; o += n; });
  return p;
};

type Kernels = { [K in OpName]: (h: KernelHost, a: OpArgs[K]) => void };

export const KERNELS: Kernels = {
  linear(h, { x, w, bias, out, m, n, k }) {
    const wp = h.packed(w, n, k);
    h.call(OP.LINEAR, [h.raw(x), wp, bias === undefined ? 0 : h.raw(bias), h.raw(out), m, n, k]);
  },

  attention(h, { qkv, out, seqLens, heads, headDim, softmax, slopes, keyMask }) {
    const maxN = Math.max(0, ...seqLens);
    const nPad = (maxN + 7) & ~7, dPad = (headDim + 7) & ~7;
    // K panels + V panels + mask row + QB score rows + QB output rows + QB inverses (attention.ts layout, QB = 8)
    const [scratch, stride] = h.scratch(4 * (nPad * headDim + nPad * dPad + 9 * nPad + 8 * dPad + 8));
    const arrays: ArrayBufferView[] = [seqPairs(seqLens), slopes];
    if (keyMask) arrays.push(keyMask);
    const [seqs, sl, mask = 0] = h.stage(...arrays);
    h.call(OP.ATTENTION, [h.raw(qkv), h.raw(out), seqs, seqLens.length, heads, headDim, softmax === "softmax1" ? 1 : 0, sl, mask, scratch, stride],
      { 13: 1 / Math.sqrt(headDim) });
  },

  layerNorm(h, { x, residual, gamma, beta, out, rows, cols, eps }) {
    h.call(OP.LAYER_NORM, [h.raw(x), residual === undefined ? 0 : h.raw(residual), h.raw(gamma), h.raw(beta), h.raw(out), rows, cols], { 9: eps });
  },

  gluGelu(h, { x, out, rows, inner }) {
    h.call(OP.GLU_GELU, [h.raw(x), h.raw(out), rows, inner]);
  },

  gather(h, { table, ids, addRow, out, cols }) {
    const [idp] = h.stage(ids);
    const { ptr, packedRows } = h.table(table, cols);
    h.call(OP.GATHER, [ptr, idp, ids.length, addRow === undefined ? 0 : h.raw(addRow), h.raw(out), cols, packedRows]);
  },

  meanPool(h, { x, out, seqLens, cols }) {
    const [seqs] = h.stage(seqPairs(seqLens));
    h.call(OP.MEAN_POOL, [h.raw(x), h.raw(out), seqs, seqLens.length, cols]);
  },

  unary(h, { x, out, size, kind }) {
    h.call(OP.UNARY, [h.raw(x), h.raw(out), size, kind === "gelu" ? 1 : 0]);
  },
};
