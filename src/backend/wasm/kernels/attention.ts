// attention → assembly/attention.ts: one (sequence, head) per chunk, K/V panels and score strips in per-thread scratch.
import type { Kernel } from "../../../contract/kernels.js";
import type { KernelHost } from "./host.js";

/** Query rows per score strip (assembly/attention.ts QB). */
const QB = 8;

export const attention: Kernel<"attention", KernelHost> = {
  run(h, { qkv, out, seqs, heads, headDim, softmax, slopes, keyMask, rows }) {
    const nPad = (seqs.maxLen + 7) & ~7, dPad = (headDim + 7) & ~7;
    // K panels + V panels + mask row + QB score rows + QB output rows + QB inverses (assembly/attention.ts layout)
    const [scratch, scratchStride] = h.scratch(4 * (nPad * headDim + nPad * dPad + (QB + 1) * nPad + QB * dPad + QB));
    const arrays: ArrayBufferView[] = [seqs.pairs(), slopes];
    if (keyMask) arrays.push(keyMask);
    const [pairs, sl, mask = 0] = h.stage(...arrays);
    h.call("attention", {
      qkv: h.ptr(qkv), out: h.ptr(out), seqs: pairs, nseq: seqs.count, heads, headDim, softmax1: softmax === "softmax1" ? 1 : 0,
      slopes: sl, mask, scratch, scratchStride, scale: 1 / Math.sqrt(headDim), rowLo: rows?.[0] ?? 0, rowHi: rows?.[1] ?? seqs.total,
    });
  },
};
