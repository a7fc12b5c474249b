// attentionBackward → assembly/attention-backward.ts: one (sequence, head) per chunk; packed K/V panels, score and
// gradient strips, the dK/dV accumulators in per-thread scratch.
import type { Kernel } from "../../../contract/kernels.js";
import type { KernelHost } from "./host.js";

/** Query rows per score strip and per dK/dV update (assembly/attention.ts QB, attention-backward.ts UB). */
const QB = 8, UB = 32;

export const attentionBackward: Kernel<"attentionBackward", KernelHost> = {
  run(h, { qkv, out, gradOut, gradQkv, seqs, heads, headDim, softmax, slopes }) {
    const nPad = (seqs.maxLen + 7) & ~7, d = headDim, dPad = (d + 7) & ~7;
    // Kᵀ, Vᵀ panels + K panels + mask row + S, dP + Pᵀ, dSᵀ + Q, dO panels + O + dK, dV (assembly layout)
    const floats = 2 * nPad * d + nPad * dPad + nPad + 2 * QB * nPad + 2 * nPad * UB + 2 * UB * dPad + QB * dPad + 2 * nPad * dPad;
    const [scratch, scratchStride] = h.scratch(4 * floats);
    const [pairs, sl] = h.stage(seqs.pairs(), slopes);
    h.call("attentionBackward", {
      qkv: h.ptr(qkv), out: h.ptr(out), gradOut: h.ptr(gradOut), gradQkv: h.ptr(gradQkv), seqs: pairs, nseq: seqs.count,
      heads, headDim, softmax1: softmax === "softmax1" ? 1 : 0, slopes: sl, scratch, scratchStride, scale: 1 / Math.sqrt(headDim),
    });
  },
};
