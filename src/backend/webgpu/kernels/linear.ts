// linear → shaders/linear.wgsl, in one variant per weight format (f32; f16 widened to f32 in the tile load, which
// needs shader-f16; q4 dequantized to f32 in the tile load): 64×64 output tiles, one 16×16 workgroup each. q8 (W8A8)
// is two dispatches: shaders/quantize-rows.wgsl makes x's int8 rows and row scales (per row, or the weight's static
// inputScale) in scratch buffers, then
// shaders/linear-q8.wgsl sums int8 products in int32 (dot4I8Packed where caps.dot4I8Packed, else unpacked: the same
// integers). x and out are bound in row chunks when they exceed maxStorageBufferBindingSize (the weight and its
// scales must fit one binding each).
import type { Kernel } from "../../../contract/kernels.js";
import { FORMATS, type FormatName } from "../../../contract/formats.js";
import type { OpArgs } from "../../../contract/spec.js";
import type { KernelName } from "../generated/shaders.js";
import { allOf, fitsRowChunks, fitsWhole, fold, rowChunks, type KernelContext } from "./context.js";

/** The f32-accumulating shader variant of each weight format that has one (q8 runs linearQ8*, see runQ8). */
const VARIANT: Partial<Record<FormatName, KernelName>> = { f32: "linear", f16: "linearF16", q4: "linearQ4" };

/** Largest k whose int8·int8 sums cannot overflow int32: 127²·k < 2^31. */
const Q8_MAX_K = Math.floor((2 ** 31 - 1) / (127 * 127));

/** W8A8 over rows [r0, r0 + m) of x: quantize them into scratch, then the integer GEMM. */
function runQ8(k: KernelContext, a: OpArgs["linear"], r0: number, m: number): void {
  const words = Math.ceil(a.k / 4);
  const xq = k.scratch(4 * m * words), xs = k.scratch(4 * m);
  const { groups, gridX } = fold(m, k.maxWorkgroups);
  // scale 0: each row's own (dynamic); a static inputScale is a uniform, so one pipeline serves every weight
  const params = { rows: m, cols: a.k, gridX, scale: a.w.inputScale ?? 0 };
  k.dispatch("quantizeRows", {}, [k.buf(a.x, 4 * r0 * a.k, 4 * m * a.k), xq, xs], params, groups);
  k.dispatch(k.caps.dot4I8Packed ? "linearQ8Dot4" : "linearQ8", { HAS_BIAS: a.bias !== undefined },
    [xq, xs, k.buf(a.w.data), k.buf(a.w.scales!), k.opt(a.bias), k.buf(a.out, 4 * r0 * a.n, 4 * m * a.n)],
    { m, n: a.n, k: a.k }, [Math.ceil(a.n / 64), Math.ceil(m / 64)]);
}

export const linear: Kernel<"linear", KernelContext> = {
  supports: ({ format, scalesF16 }, caps) => {
    if (scalesF16 && (format !== "q4" || !caps.f16)) return { reason: `${format} weights with f16 scales need q4 and shader-f16 (${caps.description})` };
    if (format !== "q8" && !VARIANT[format]) return { reason: `weight format ${format} is not implemented on webgpu` };
    if (format === "f16" && !caps.f16) return { reason: `f16 weights need the shader-f16 feature, which this adapter (${caps.description}) lacks` };
    return true;
  },
  fits: (a, k) => allOf(
    () => (FORMATS[a.w.format].scales !== "none" && a.w.scales === undefined ? { reason: `a ${a.w.format} weight needs its scales buffer` } : true),
    () => fitsWhole(k, { w: a.w.data, "w scales": a.w.scales, bias: a.bias }),
    () => fitsRowChunks(4 * Math.max(a.k, a.n), k),
    () => (Math.ceil(a.m / 64) <= k.maxWorkgroups && Math.ceil(a.n / 64) <= k.maxWorkgroups ? true
      : { reason: `m ${a.m} or n ${a.n} needs more than ${k.maxWorkgroups} workgroups` }),
    () => (a.w.format !== "q8" || a.k <= Q8_MAX_K ? true : { reason: `q8 with k ${a.k} > ${Q8_MAX_K} could overflow the int32 sums` }),
  ),
  run(k, a) {
    for (const [r0, m] of rowChunks(a.m, 4 * Math.max(a.k, a.n), k.maxBindingBytes)) {
      if (a.w.format === "q8") { runQ8(k, a, r0, m); continue; }
      const bindings = [k.buf(a.x, 4 * r0 * a.k, 4 * m * a.k), k.buf(a.w.data), k.opt(a.bias), k.buf(a.out, 4 * r0 * a.n, 4 * m * a.n)];
      if (a.w.format === "q4") bindings.push(k.buf(a.w.scales!));
      k.dispatch(a.w.scalesF16 ? "linearQ4H" : VARIANT[a.w.format]!, { HAS_BIAS: a.bias !== undefined }, bindings,
        { m, n: a.n, k: a.k }, [Math.ceil(a.n / 64), Math.ceil(m / 64)]);
    }
  },
};
