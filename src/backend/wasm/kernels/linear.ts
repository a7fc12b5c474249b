// linear → one kernel per weight format, each reading the layout prepareWeight made at load: assembly/linear.ts (f32,
// 8-column panels), assembly/linear-q8.ts (W8A8: int8 panels, x quantized per row into scratch with each row's scale
// or the weight's static inputScale, int32 sums),
// assembly/linear-q4.ts (W4A16: int4 panels dequantized per chunk into f32 scratch panels, f32 tiles).
import type { Kernel } from "../../../contract/kernels.js";
import type { KernelHost } from "./host.js";

/** Rows per chunk of the q8 and q4 kernels (assembly/linear-q8.ts, linear-q4.ts MB). */
const MB = 128;

export const linear: Kernel<"linear", KernelHost> = {
  supports: ({ format, scalesF16 }, caps) => {
    if (scalesF16) return { reason: "f16 q4 scales are a WebGPU storage form; wasm keeps them as f32 (the same values)" };
    if (format === "f32" || format === "q4") return true;
    if (format === "q8") return caps.int8Dot ? true : { reason: "weight format q8 needs i32x4.dot_i16x8_s (caps.int8Dot)" };
    return { reason: `weight format ${format} is not implemented on wasm (f32, q8, q4)` };
  },
  run(h, { x, w, bias, out, m, n, k }) {
    const args = { x: h.ptr(x), w: h.weightPtr(w, n, k), bias: bias === undefined ? 0 : h.ptr(bias), out: h.ptr(out), m, n, k };
    if (w.format === "f32") { h.call("linear", args); return; }
    const scales = h.scalesPtr(w, n, k);
    if (w.format === "q8") {
      // MB row scales, then the block's rows of int16 quantized x in quads of 4 rows × ⌈k/2⌉ pairs (16 bytes a pair)
      const [scratch, scratchStride] = h.scratch(4 * MB + Math.ceil(Math.min(m, MB) / 4) * 16 * Math.ceil(k / 2));
      // inputScale 0: each row's own scale (dynamic); > 0: the weight's static activation scale
      h.call("linearQ8", { ...args, scales, scratch, scratchStride, inputScale: w.inputScale ?? 0 });
    } else {
      // two dequantized f32 panels of ⌈k/32⌉·32 × 8 (also holds one dequantized tail row)
      const [scratch, scratchStride] = h.scratch(2 * 32 * 32 * Math.ceil(k / 32));
      h.call("linearQ4", { ...args, scales, scratch, scratchStride });
    }
  },
};
