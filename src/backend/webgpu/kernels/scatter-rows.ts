// scatterRows → shaders/scatter-rows.wgsl: the ids (range-checked by ops/grad) are sorted here into CSR form, per
// output row the x rows that land on it in increasing order, so each invocation sums one output element in id order
// (the reference's order: exact) with no atomics. x is bound whole; out in row chunks when it exceeds one binding.
import type { Kernel } from "../../../contract/kernels.js";
import { allOf, elementGrid, fitsRowChunks, fitsWhole, rowChunks, type KernelContext } from "./context.js";

/** starts [rows + 1] and order [ids.length]: row r's x rows are order[starts[r] .. starts[r + 1]), ascending. */
function csr(ids: Int32Array, rows: number): { starts: Uint32Array; order: Uint32Array } {
  const starts = new Uint32Array(rows + 1);
  for (const id of ids) starts[id + 1]++;
  for (let r = 0; r < rows; r++) starts[r + 1] += starts[r];
  const fill = starts.slice(0, rows), order = new Uint32Array(ids.length);
  ids.forEach((id, i) => { order[fill[id]++] = i; });
  return { starts, order };
}

export const scatterRows: Kernel<"scatterRows", KernelContext> = {
  fits: (a, k) => allOf(() => fitsWhole(k, { x: a.x }), () => fitsRowChunks(4 * a.cols, k)),
  run(k, a) {
    if (a.rows === 0 || a.cols === 0) return;
    const { starts, order } = csr(a.ids, a.rows);
    const ord = k.host(order);
    for (const [r0, rows] of rowChunks(a.rows, 4 * a.cols, k.maxBindingBytes)) {
      const { groups, gridX } = elementGrid(k, rows * a.cols);
      k.dispatch("scatterRows", {}, [k.buf(a.x), k.host(starts.subarray(r0, r0 + rows + 1)), ord, k.buf(a.out, 4 * r0 * a.cols, 4 * rows * a.cols)],
        { rows, cols: a.cols, gridX }, groups);
    }
  },
};
