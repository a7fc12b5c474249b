// attention (reference): exact two-pass softmax or softmax1 per query row in float64, ALiBi bias, key mask.
import type { Kernel } from "../../contract/kernels.js";
import type { RefContext } from "./context.js";

export const attention: Kernel<"attention", RefContext> = {
  run(b, { qkv, out, seqs, heads, headDim, softmax, slopes, keyMask, rows }) {
    const [r0, r1] = rows ?? [0, seqs.total];
    const QKV = b.f32(qkv), O = b.f32(out);
    const H = heads * headDim, stride = 3 * H, scale = 1 / Math.sqrt(headDim);
    seqs.lens.forEach((n, s) => {
      const base = seqs.offsets[s];
      if (base >= r1 || base + n <= r0) return;
      const scores = new Float64Array(n);
      for (let h = 0; h < heads; h++) {
        const qOff = h * headDim, kOff = H + h * headDim, vOff = 2 * H + h * headDim;
        for (let i = Math.max(0, r0 - base); i < Math.min(n, r1 - base); i++) {
          let m = -Infinity;
          for (let j = 0; j < n; j++) {
            if (keyMask && keyMask[base + j] === 0) { scores[j] = -Infinity; continue; }
            let dot = 0;
            for (let d = 0; d < headDim; d++) dot += QKV[(base + i) * stride + qOff + d] * QKV[(base + j) * stride + kOff + d];
            scores[j] = dot * scale - slopes[h] * Math.abs(i - j);
            if (scores[j] > m) m = scores[j];
          }
          const o = (base + i) * H + h * headDim;
          if (m === -Infinity) { for (let d = 0; d < headDim; d++) O[o + d] = 0; continue; }
          let denom = softmax === "softmax1" ? Math.exp(-m) : 0;
          for (let j = 0; j < n; j++) denom += scores[j] === -Infinity ? 0 : Math.exp(scores[j] - m);
          for (let d = 0; d < headDim; d++) {
            let acc = 0;
            for (let j = 0; j < n; j++) {
              if (scores[j] !== -Infinity) acc += Math.exp(scores[j] - m) * QKV[(base + j) * stride + vOff + d];
            }
            // softmax1 with m < -709 makes exp(-m) infinite: the row is 0, as in float32 PyTorch.
            O[o + d] = denom === Infinity ? 0 : acc / denom;
          }
        }
      }
    });
  },
};
