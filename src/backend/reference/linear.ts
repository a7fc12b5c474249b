// linear (reference): out = x·wᵀ + bias in float64, over the weight decoded by its format's reference decoder,
// so this is the oracle for every weight format. Formats that quantize activations too (q8: W8A8) take the
// integer path: per-row int8 x (each row's own scale, or the weight's static inputScale), exact int32-range sums,
// then the f32 epilogue every backend must reproduce.
import type { Kernel } from "../../contract/kernels.js";
import { FORMATS, quantizeRows } from "../../contract/formats.js";
import type { OpArgs } from "../../contract/spec.js";
import type { RefContext } from "./context.js";

/**
 * W8A8: acc = Σ qx·qw (exact), out = f32(f32(acc) · f32(sx·sw)) + bias, each step rounded to f32 as written (no FMA),
 * so a backend that sums the same integers and follows the same steps matches bit for bit.
 */
function linearInt8(b: RefContext, { x, w, bias, out, m, n, k }: OpArgs["linear"]): void {
  const { q: qx, scales: sx } = quantizeRows(b.f32(x), m, k, w.inputScale);
  const qw = b.int8(w.data), sw = b.f32(w.scales!), B = bias !== undefined ? b.f32(bias) : null, O = b.f32(out);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let t = 0; t < k; t++) acc += qx[i * k + t] * qw[j * k + t];
      const y = Math.fround(Math.fround(acc) * Math.fround(sx[i] * sw[j]));
      O[i * n + j] = B ? Math.fround(y + B[j]) : y;
    }
  }
}

export const linear: Kernel<"linear", RefContext> = {
  supports: ({ scalesF16 }) => (scalesF16 ? { reason: "f16 q4 scales are a WebGPU storage form; the reference keeps them as f32 (the same values)" } : true),
  run(b, args) {
    if (FORMATS[args.w.format].activations === "int8-row") { linearInt8(b, args); return; }
    const { x, w, bias, out, m, n, k } = args;
    const X = b.f32(x), W = b.weight(w, n, k), B = bias !== undefined ? b.f32(bias) : null, O = b.f32(out);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = B ? B[j] : 0;
        for (let t = 0; t < k; t++) acc += X[i * k + t] * W[j * k + t];
        O[i * n + j] = acc;
      }
    }
  },
};
