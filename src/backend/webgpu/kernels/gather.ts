// gather → shaders/gather.wgsl: ids travel as an i32 storage buffer (range-checked by ops/gather).
import type { OpArgs } from "../../../ops/spec.js";
import { elementGrid, type KernelContext } from "./context.js";

export function gather(k: KernelContext, a: OpArgs["gather"]): void {
  const { groups, gridX } = elementGrid(k, a.ids.length * a.cols);
  k.dispatch("gather", { HAS_ADD: a.addRow !== undefined }, [k.buf(a.table), k.host(a.ids), k.opt(a.addRow), k.buf(a.out)],
    { n: a.ids.length, cols: a.cols, gridX }, groups);
}
