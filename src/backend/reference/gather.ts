// gather and meanPool (reference): row lookup (+ a broadcast row), the mean of each packed sequence's rows, and
// scatterRows (gather's gradient).
import { BackendError } from "../../errors.js";
import type { Kernel } from "../../contract/kernels.js";
import type { RefContext } from "./context.js";

export const gather: Kernel<"gather", RefContext> = {
  run(b, { table, ids, addRow, out, tableRows, cols }) {
    const T = b.f32(table), A = addRow !== undefined ? b.f32(addRow) : null, O = b.f32(out);
    ids.forEach((id, r) => {
      if (id < 0 || id >= tableRows) throw new BackendError(`reference: gather: id ${id} at row ${r} outside table of ${tableRows} rows`);
      for (let c = 0; c < cols; c++) O[r * cols + c] = T[id * cols + c] + (A ? A[c] : 0);
    });
  },
};

export const meanPool: Kernel<"meanPool", RefContext> = {
  run(b, { x, out, seqs, cols }) {
    const X = b.f32(x), O = b.f32(out);
    seqs.lens.forEach((n, s) => {
      const base = seqs.offsets[s];
      for (let c = 0; c < cols; c++) {
        let acc = 0;
        for (let r = 0; r < n; r++) acc += X[(base + r) * cols + c];
        O[s * cols + c] = n > 0 ? acc / n : 0;
      }
    });
  },
};

export const scatterRows: Kernel<"scatterRows", RefContext> = {
  run(b, { x, ids, out, rows, cols }) {
    const X = b.f32(x), O = b.f32(out);
    O.fill(0, 0, rows * cols);
    ids.forEach((id, r) => { for (let c = 0; c < cols; c++) O[id * cols + c] += X[r * cols + c]; });
  },
};
