// attention → shaders/attention.wgsl: a block table (one entry per BQ queries of a sequence) lets one dispatch
// cover a whole varlen batch with no idle workgroups. The block table and slopes are uploaded once per batch /
// model (KernelContext.cached), not once per layer; the key mask, when given, per call.
import type { Kernel } from "../../../contract/kernels.js";
import type { SeqIndex } from "../../../contract/seq.js";
import { allOf, fitsWhole, fold, type KernelContext } from "./context.js";

const MAX_HEAD_DIM = 128; // shaders/attention.wgsl MAX_D
const BQ = 16; // queries per workgroup (shaders/attention.wgsl BQ)

function blockTable(seqs: SeqIndex): Uint32Array {
  const blocks: number[] = [];
  seqs.lens.forEach((n, s) => { for (let q = 0; q < n; q += BQ) blocks.push(seqs.offsets[s], n, q, 0); });
  return Uint32Array.from(blocks);
}

const blockCount = (seqs: SeqIndex): number => seqs.lens.reduce((s, n) => s + Math.ceil(n / BQ), 0);

export const attention: Kernel<"attention", KernelContext> = {
  // Query-row ranges serve CPU backends' event loop; GPU work is asynchronous already.
  supports: ({ headDim, rows }) => (rows ? { reason: "query-row ranges (rows) are for CPU backends" }
    : headDim <= MAX_HEAD_DIM ? true : { reason: `headDim ${headDim} > ${MAX_HEAD_DIM} (shaders/attention.wgsl MAX_D)` }),
  fits: (a, k) => allOf(
    () => fitsWhole(k, { qkv: a.qkv, out: a.out }),
    () => (a.heads <= k.maxWorkgroups ? true : { reason: `${a.heads} heads exceed ${k.maxWorkgroups} workgroups per dimension` }),
  ),
  run(k, a) {
    const count = blockCount(a.seqs);
    if (count === 0) return;
    const { groups, gridX } = fold(count, k.maxWorkgroups);
    const mask = a.keyMask ? k.host(Uint32Array.from(a.keyMask)) : k.opt(undefined);
    k.dispatch("attention", { SOFTMAX1: a.softmax === "softmax1", HAS_MASK: a.keyMask !== undefined },
      [k.buf(a.qkv), k.cached(a.seqs, "attention-blocks", () => blockTable(a.seqs)), k.cached(a.slopes, "slopes", () => a.slopes), mask, k.buf(a.out)],
      { heads: a.heads, headDim: a.headDim, scale: 1 / Math.sqrt(a.headDim), gridX, blocks: count }, [...groups, a.heads]);
  },
};
