// gather, meanPool and scatterRows → assembly/gather.ts: ids and (start, length) pairs are staged host arrays.
import type { Kernel } from "../../../contract/kernels.js";
import type { KernelHost } from "./host.js";

export const gather: Kernel<"gather", KernelHost> = {
  run(h, { table, ids, addRow, out, cols }) {
    const [idp] = h.stage(ids);
    h.call("gather", { table: h.ptr(table), ids: idp, nids: ids.length, addRow: addRow === undefined ? 0 : h.ptr(addRow), out: h.ptr(out), cols });
  },
};

export const meanPool: Kernel<"meanPool", KernelHost> = {
  run(h, { x, out, seqs, cols }) {
    const [pairs] = h.stage(seqs.pairs());
    h.call("meanPool", { x: h.ptr(x), out: h.ptr(out), seqs: pairs, nseq: seqs.count, cols });
  },
};

export const scatterRows: Kernel<"scatterRows", KernelHost> = {
  run(h, { x, ids, out, rows, cols }) {
    const [idp] = h.stage(ids);
    h.call("scatterRows", { x: h.ptr(x), ids: idp, nids: ids.length, out: h.ptr(out), rows, cols });
  },
};
