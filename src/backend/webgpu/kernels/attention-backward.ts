// attentionBackward → two dispatches, no atomics: shaders/attention-backward.wgsl per block of 16 queries (the
// forward's softmax statistics, kept in a scratch buffer, and dq), then shaders/attention-backward-kv.wgsl per block
// of 16 keys (dk and dv, recomputing P from those statistics). One block table (16 rows of a sequence per entry)
// serves both, uploaded once per batch (KernelContext.cached), as are the slopes.
import type { Kernel } from "../../../contract/kernels.js";
import type { SeqIndex } from "../../../contract/seq.js";
import { allOf, fitsWhole, fold, type KernelContext } from "./context.js";

const MAX_HEAD_DIM = 128; // shaders/attention-backward*.wgsl MAX_D
const BLOCK = 16; // queries (pass 1) or keys (pass 2) per workgroup (BQ in both shaders)
const STAT_BYTES = 16; // one vec4f (m, 1/denom, D, 0) per token and head

function blockTable(seqs: SeqIndex): Uint32Array {
  const blocks: number[] = [];
  seqs.lens.forEach((n, s) => { for (let q = 0; q < n; q += BLOCK) blocks.push(seqs.offsets[s], n, q, 0); });
  return Uint32Array.from(blocks);
}

const blockCount = (seqs: SeqIndex): number => seqs.lens.reduce((s, n) => s + Math.ceil(n / BLOCK), 0);

export const attentionBackward: Kernel<"attentionBackward", KernelContext> = {
  supports: ({ headDim }) => (headDim <= MAX_HEAD_DIM ? true : { reason: `headDim ${headDim} > ${MAX_HEAD_DIM} (shaders/attention-backward.wgsl MAX_D)` }),
  fits: (a, k) => allOf(
    () => fitsWhole(k, { qkv: a.qkv, out: a.out, gradOut: a.gradOut, gradQkv: a.gradQkv }),
    () => (a.heads <= k.maxWorkgroups ? true : { reason: `${a.heads} heads exceed ${k.maxWorkgroups} workgroups per dimension` }),
    () => (STAT_BYTES * a.seqs.total * a.heads <= k.maxBindingBytes ? true
      : { reason: `the softmax statistics (${STAT_BYTES * a.seqs.total * a.heads} bytes) exceed maxStorageBufferBindingSize ${k.maxBindingBytes}` }),
  ),
  run(k, a) {
    const count = blockCount(a.seqs);
    if (count === 0 || a.heads === 0 || a.headDim === 0) return;
    const { groups, gridX } = fold(count, k.maxWorkgroups);
    const blocks = k.cached(a.seqs, "attention-backward-blocks", () => blockTable(a.seqs));
    const slopes = k.cached(a.slopes, "slopes", () => a.slopes);
    const stats = k.scratch(STAT_BYTES * a.seqs.total * a.heads);
    const params = { heads: a.heads, headDim: a.headDim, scale: 1 / Math.sqrt(a.headDim), gridX, blocks: count };
    k.dispatch("attentionBackward", { SOFTMAX1: a.softmax === "softmax1" },
      [k.buf(a.qkv), k.buf(a.out), k.buf(a.gradOut), blocks, slopes, stats, k.buf(a.gradQkv)], params, [...groups, a.heads]);
    k.dispatch("attentionBackwardKv", {}, [k.buf(a.qkv), k.buf(a.gradOut), blocks, slopes, stats, k.buf(a.gradQkv)], params, [...groups, a.heads]);
  },
};
