// What a WebGPU kernel wrapper may do while the backend records a forward pass: resolve buffers, stage small
// host arrays, and dispatch a cached pipeline. Implemented by WebGpuBackend; keeps kernels/*.ts free of bookkeeping.
import type { BackendCaps, BufferId } from "../../../contract/backend.js";
import type { Support } from "../../../contract/backend.js";
import type { KernelName } from "../generated/shaders.js";

export interface Binding { buffer: GPUBuffer; size: number; offset?: number }

/** Pipeline-overridable constants of one kernel variant (compile-time facts: the pipeline cache key). */
export type Constants = Record<string, number | boolean>;

export interface KernelContext {
  /** A tensor buffer (op argument), bound over its requested size, or over [byteOffset, +byteSize) of it. */
  buf(id: BufferId, byteOffset?: number, byteSize?: number): Binding;
  /** An optional tensor buffer, or a small dummy binding when absent (WGSL bindings cannot be optional). */
  opt(id: BufferId | undefined): Binding;
  /** A small read-only storage buffer holding host data (ids, masks); recycled after submit. */
  host(data: ArrayBufferView): Binding;
  /**
   * Host data derived from a long-lived, never-mutated `key` (a batch's SeqIndex, a model's ALiBi slopes): uploaded
   * once and reused by every dispatch that passes the same key (a forward's 12 attention layers), `tag` per table.
   */
  cached(key: object, tag: string, make: () => ArrayBufferView): Binding;
  /**
   * A device-only buffer of `byteLength` bytes (contents undefined) for what one dispatch of an op writes and a later
   * one reads (linear q8: the quantized activations); recycled after submit, like host().
   */
  scratch(byteLength: number): Binding;
  /** Record one dispatch: bindings in the shader's order, then the `params` uniform is bound last. */
  dispatch(kernel: KernelName, constants: Constants, bindings: Binding[], params: Record<string, number>, groups: readonly number[]): void;
  /** Byte size of a live buffer (for the kernels' binding-size limits). */
  bytesOf(id: BufferId): number;
  readonly maxWorkgroups: number;
  /** The backend's capabilities (kernels pick a variant from them, e.g. dot4I8Packed). */
  readonly caps: Readonly<BackendCaps>;
  /** Largest storage binding (maxStorageBufferBindingSize); bigger row-wise tensors are bound in row chunks. */
  readonly maxBindingBytes: number;
}

/**
 * Row chunks for a row-wise op whose rows span `rowBytes` (the widest tensor): each chunk binds under the limit,
 * and chunk starts are multiples of 64 rows, so every byte offset is a multiple of 256 (minStorageBufferOffsetAlignment).
 */
export function rowChunks(rows: number, rowBytes: number, maxBindingBytes: number): [start: number, count: number][] {
  const per = Math.max(64, Math.floor(maxBindingBytes / Math.max(rowBytes, 1) / 64) * 64);
  const out: [number, number][] = [];
  for (let r = 0; r < rows; r += per) out.push([r, Math.min(per, rows - r)]);
  return out;
}

/** Row chunks start at 64-row boundaries, so 64 rows of the widest tensor must fit one binding. */
export function fitsRowChunks(rowBytes: number, k: KernelContext): Support {
  const bytes = 64 * rowBytes;
  return bytes <= k.maxBindingBytes ? true : { reason: `64 rows (${bytes} bytes) exceed maxStorageBufferBindingSize ${k.maxBindingBytes}` };
}

/** Tensors that must fit one storage binding whole (weights, tables): the first one over the limit. */
export function fitsWhole(k: KernelContext, named: Record<string, BufferId | undefined>): Support {
  for (const [name, id] of Object.entries(named)) {
    if (id === undefined) continue;
    const bytes = k.bytesOf(id);
    if (bytes > k.maxBindingBytes) return { reason: `${name} is ${bytes} bytes, over this adapter's maxStorageBufferBindingSize ${k.maxBindingBytes}` };
  }
  return true;
}

/** Both checks in order; the first failure wins. */
export function allOf(...checks: (() => Support)[]): Support {
  for (const c of checks) { const r = c(); if (r !== true) return r; }
  return true;
}

/** Fold a 1-D workgroup count into (x, y) under the per-dimension limit; kernels rebuild the index with gridX. */
export function fold(workgroups: number, max: number): { groups: [number, number]; gridX: number } {
  if (workgroups <= max) return { groups: [Math.max(workgroups, 1), 1], gridX: Math.max(workgroups, 1) };
  const y = Math.ceil(workgroups / max);
  return { groups: [max, y], gridX: max };
}

/** Workgroups for one thread per element, 256 per workgroup (the elementwise kernels). */
export function elementGrid(k: KernelContext, elements: number): { groups: [number, number]; gridX: number } {
  return fold(Math.ceil(elements / 256), k.maxWorkgroups);
}
