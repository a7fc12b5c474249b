// linear → shaders/linear.wgsl, in one variant per weight format (f32; f16 widened to f32 in the tile load, which
// needs shader-f16): 64×64 output tiles, one 16×16 workgroup each; x and out are bound in row chunks when they
// exceed maxStorageBufferBindingSize (the weight must fit one binding).
import type { Kernel } from "../../../contract/kernels.js";
import type { FormatName } from "../../../contract/formats.js";
import type { KernelName } from "../generated/shaders.js";
import { allOf, fitsRowChunks, fitsWhole, rowChunks, type KernelContext } from "./context.js";

/** The shader variant of each weight format this backend runs. */
const VARIANT: Partial<Record<FormatName, KernelName>> = { f32: "linear", f16: "linearF16" };

export const linear: Kernel<"linear", KernelContext> = {
  supports: ({ format }, caps) => {
    if (!VARIANT[format]) return { reason: `weight format ${format} is not implemented on webgpu` };
    if (format === "f16" && !caps.f16) return { reason: `f16 weights need the shader-f16 feature, which this adapter (${caps.description}) lacks` };
    return true;
  },
  fits: (a, k) => allOf(
    () => fitsWhole(k, { w: a.w.data, bias: a.bias }),
    () => fitsRowChunks(4 * Math.max(a.k, a.n), k),
    () => (Math.ceil(a.m / 64) <= k.maxWorkgroups && Math.ceil(a.n / 64) <= k.maxWorkgroups ? true
      : { reason: `m ${a.m} or n ${a.n} needs more than ${k.maxWorkgroups} workgroups` }),
  ),
  run(k, a) {
    for (const [r0, m] of rowChunks(a.m, 4 * Math.max(a.k, a.n), k.maxBindingBytes)) {
      k.dispatch(VARIANT[a.w.format]!, { HAS_BIAS: a.bias !== undefined },
        [k.buf(a.x, 4 * r0 * a.k, 4 * m * a.k), k.buf(a.w.data), k.opt(a.bias), k.buf(a.out, 4 * r0 * a.n, 4 * m * a.n)],
        { m, n: a.n, k: a.k }, [Math.ceil(a.n / 64), Math.ceil(m / 64)]);
    }
  },
};
