// meanPool → shaders/mean-pool.wgsl: (start, length) per sequence in a storage buffer.
import type { OpArgs } from "../../../ops/spec.js";
import { elementGrid, type KernelContext } from "./context.js";

export function meanPool(k: KernelContext, a: OpArgs["meanPool"]): void {
  const seqs = new Uint32Array(2 * a.seqLens.length);
  let start = 0;
  a.seqLens.forEach((n, s) => { seqs[2 * s] = start; seqs[2 * s + 1] = n; start += n; });
  const { groups, gridX } = elementGrid(k, a.seqLens.length * a.cols);
  k.dispatch("meanPool", {}, [k.buf(a.x), k.host(seqs), k.buf(a.out)], { seqs: a.seqLens.length, cols: a.cols, gridX }, groups);
}
