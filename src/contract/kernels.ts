// A backend's kernel table: each op it implements maps to a kernel that says what it cannot run and runs the rest.
// Tables are Partial, so an op can land on one backend first; a missing kernel is an answer, not an error.
import { BackendError } from "../errors.js";
import type { BackendCaps, BackendName, Support } from "./backend.js";
import { needsOf, type OpArgs, type OpName, type OpNeeds } from "./spec.js";

export interface Kernel<K extends OpName, Ctx> {
  /** What this kernel cannot run, from the call's compile-time facts and the backend's caps (absent: everything). */
  supports?(needs: OpNeeds[K], caps: Readonly<BackendCaps>): Support;
  /** Run-time limits of a concrete call (binding sizes, workgroup counts); absent: none. */
  fits?(args: OpArgs[K], ctx: Ctx): Support;
  run(ctx: Ctx, args: OpArgs[K]): void;
}

export type KernelTable<Ctx> = { [K in OpName]?: Kernel<K, Ctx> };

/** Backend.supports from a kernel table. */
export function tableSupports<Ctx, K extends OpName>(
  table: KernelTable<Ctx>, backend: BackendName, caps: Readonly<BackendCaps>, op: K, needs: OpNeeds[K],
): Support {
  const kernel = table[op] as Kernel<K, Ctx> | undefined;
  if (!kernel) return { reason: `${op} is not implemented on ${backend}` };
  return kernel.supports ? kernel.supports(needs, caps) : true;
}

/** Backend.run from a kernel table: refuse with the kernel's reason (typed), never run a call it cannot do. */
export function tableRun<Ctx, K extends OpName>(
  table: KernelTable<Ctx>, backend: BackendName, caps: Readonly<BackendCaps>, op: K, args: OpArgs[K], ctx: Ctx,
): void {
  const kernel = table[op] as Kernel<K, Ctx> | undefined;
  if (!kernel) throw new BackendError(`${op} is not implemented on ${backend}`);
  const ok = kernel.supports ? kernel.supports(needsOf(op, args), caps) : true;
  if (ok !== true) throw new BackendError(`${op} on ${backend}: ${ok.reason}`);
  const fits = kernel.fits ? kernel.fits(args, ctx) : true;
  if (fits !== true) throw new BackendError(`${op} on ${backend}: ${fits.reason}`);
  kernel.run(ctx, args);
}
