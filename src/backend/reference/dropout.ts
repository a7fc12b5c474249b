// dropout (reference): contract/dropout.ts dropoutRef, the definition every backend must reproduce bit for bit.
import type { Kernel } from "../../contract/kernels.js";
import { dropoutRef } from "../../contract/dropout.js";
import type { RefContext } from "./context.js";

export const dropout: Kernel<"dropout", RefContext> = {
  run(b, { x, out, size, seed, threshold, scale }) { dropoutRef(b.f32(x), size, seed, threshold, scale, b.f32(out)); },
};
