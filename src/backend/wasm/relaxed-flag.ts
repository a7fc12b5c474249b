// Node 20 (V8 11.3) implements relaxed SIMD but keeps it behind --experimental-wasm-relaxed-simd; Node ≥ 22, Deno
// and Chromium have it on by default. Its FMA build is ~25 % faster here (docs/performance.md), and its numbers are
// checked by the same goldens (CI runs the Wasm goldens and conformance on Node 20 with the flag too), so the `germ`
// CLI, which owns its process, turns the flag on before any module is compiled. An application may do the same.
import { nodeBuiltin, runtime } from "../../env.js";
import { forgetFeature, hasFeature } from "./probe.js";

/**
 * Make Wasm relaxed SIMD (the FMA build) available where the runtime has it behind a flag (Node 20), by setting
 * V8's `--experimental-wasm-relaxed-simd` for this process. Call it before the first model or Wasm backend is made:
 * builds already compiled stay as they are. Returns whether relaxed SIMD validates now (false outside Node when the
 * runtime lacks it; true at once where it is on by default). It changes a process-wide V8 setting, so a library
 * embedding germ-js should leave the choice to its application; the `germ` CLI does it unless `GERM_RELAXED_SIMD=0`.
 * @category Backends
 * @example
 * import { enableRelaxedSimd, GermModel } from "germ-js";
 * await enableRelaxedSimd(); // Node 20: the relaxed-mt build instead of simd-mt
 * const model = await GermModel.fromPretrained("zhihan1996/DNABERT-2-117M", { device: "wasm" });
 * model.info.build; // "relaxed-mt"
 */
export async function enableRelaxedSimd(): Promise<boolean> {
  if (hasFeature("relaxed") || runtime !== "node") return hasFeature("relaxed");
  (await nodeBuiltin("v8")).setFlagsFromString("--experimental-wasm-relaxed-simd");
  forgetFeature("relaxed");
  return hasFeature("relaxed");
}
