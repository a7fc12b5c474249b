// What a WebGPU kernel wrapper may do while the backend records a forward pass: resolve buffers, stage small
// host arrays, and dispatch a cached pipeline. Implemented by WebGpuBackend; keeps kernels/*.ts free of bookkeeping.
import type { BufferId } from "../../backend.js";
import type { KernelName } from "../generated/shaders.js";
import type { Constants } from "../pipeline-cache.js";

export interface Binding { buffer: GPUBuffer; size: number; offset?: number }

export interface KernelContext {
  /** A tensor buffer (op argument), bound over its requested size, or over [byteOffset, +byteSize) of it. */
  buf(id: BufferId, byteOffset?: number, byteSize?: number): Binding;
  /** An optional tensor buffer, or a small dummy binding when absent (WGSL bindings cannot be optional). */
  opt(id: BufferId | undefined): Binding;
  /** A small read-only storage buffer holding host data (ids, offsets, slopes); recycled after submit. */
  host(data: ArrayBufferView): Binding;
  /** Record one dispatch: bindings in the shader's order, then the `params` uniform is bound last. */
  dispatch(kernel: KernelName, constants: Constants, bindings: Binding[], params: Record<string, number>, groups: readonly number[]): void;
  readonly maxWorkgroups: number;
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
