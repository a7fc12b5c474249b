// attentionBackward (reference): per sequence, head and query row, P recomputed exactly as the forward does
// (float64, two-pass, softmax1's extra exp(−m) in the denominator), then the softmax Jacobian applied in float64.
import type { Kernel } from "../../contract/kernels.js";
import type { RefContext } from "./context.js";

export const attentionBackward: Kernel<"attentionBackward", RefContext> = {
  run(b, { qkv, out, gradOut, gradQkv, seqs, heads, headDim, softmax, slopes }) {
    const QKV = b.f32(qkv), O = b.f32(out), GO = b.f32(gradOut), G = b.f32(gradQkv);
    const H = heads * headDim, stride = 3 * H, scale = 1 / Math.sqrt(headDim);
    G.fill(0, 0, seqs.total * stride);
    const acc = new Float64Array(seqs.total * stride);
    seqs.lens.forEach((n, s) => {
      const base = seqs.offsets[s];
      const p = new Float64Array(n);
      for (let h = 0; h < heads; h++) {
        const qOff = h * headDim, kOff = H + h * headDim, vOff = 2 * H + h * headDim;
        const q = (r: number, d: number) => QKV[(base + r) * stride + qOff + d];
        const k = (r: number, d: number) => QKV[(base + r) * stride + kOff + d];
        const v = (r: number, d: number) => QKV[(base + r) * stride + vOff + d];
        for (let i = 0; i < n; i++) {
          let m = -Infinity;
          for (let j = 0; j < n; j++) {
            let dot = 0;
            for (let d = 0; d < headDim; d++) dot += q(i, d) * k(j, d);
            p[j] = dot * scale - slopes[h] * Math.abs(i - j);
            m = Math.max(m, p[j]);
          }
          let denom = softmax === "softmax1" ? Math.exp(-m) : 0;
          for (let j = 0; j < n; j++) { p[j] = Math.exp(p[j] - m); denom += p[j]; }
          for (let j = 0; j < n; j++) p[j] = denom === Infinity ? 0 : p[j] / denom;
          const go = (d: number) => GO[(base + i) * H + h * headDim + d];
          let D = 0;
          for (let d = 0; d < headDim; d++) D += go(d) * O[(base + i) * H + h * headDim + d];
          for (let j = 0; j < n; j++) {
            let gp = 0;
            for (let d = 0; d < headDim; d++) gp += go(d) * v(j, d);
            const ds = p[j] * (gp - D) * scale;
            for (let d = 0; d < headDim; d++) {
              acc[(base + i) * stride + qOff + d] += ds * k(j, d);
              acc[(base + j) * stride + kOff + d] += ds * q(i, d);
              acc[(base + j) * stride + vOff + d] += p[j] * go(d);
            }
          }
        }
      }
    });
    for (let i = 0; i < seqs.total * stride; i++) G[i] = acc[i];
  },
};
