// The Wasm backend's memory arena: one WebAssembly.Memory for weights, activations and scratch, carved up by a
// first-fit free list with coalescing. Blocks are 64-byte aligned (whole cache lines, so threads never share one).
// wasm32 addresses 4 GiB at most: a request beyond that is a BackendError, never a crash.
import { BackendError } from "../../errors.js";

export const PAGE = 65536;
/** wasm32 limit: 65536 pages of 64 KiB = 4 GiB (also the maximum every build declares). */
export const MAX_PAGES = 65536;
const ALIGN = 64;

interface Block { off: number; size: number }

export class Arena {
  /** Free blocks sorted by offset, never adjacent (coalesced on release). */
  private free: Block[] = [];
  private top: number;
  bytesLive = 0;

  constructor(readonly memory: WebAssembly.Memory, base: number) {
    this.top = align(base);
    const end = memory.buffer.byteLength;
    if (end > this.top) this.free.push({ off: this.top, size: end - this.top });
  }

  /** Byte offset of a new block of at least `bytes` (rounded up to 64). */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, align(bytes));
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (b.size < size) continue;
      const off = b.off;
      if (b.size === size) this.free.splice(i, 1);
      else { b.off += size; b.size -= size; }
      this.bytesLive += size;
      return off;
    }
    this.grow(size);
    return this.alloc(bytes);
  }

  release(off: number, bytes: number): void {
    const size = Math.max(ALIGN, align(bytes));
    this.bytesLive -= size;
    this.insertFree(off, size);
  }

  private insertFree(off: number, size: number): void {
    // Binary search for the first free block after `off`, then merge with neighbours.
    let lo = 0, hi = this.free.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (this.free[mid].off < off) lo = mid + 1; else hi = mid; }
    const prev = this.free[lo - 1], next = this.free[lo];
    if (prev && prev.off + prev.size === off) {
      prev.size += size;
      if (next && prev.off + prev.size === next.off) { prev.size += next.size; this.free.splice(lo, 1); }
    } else if (next && off + size === next.off) {
      next.off = off; next.size += size;
    } else {
      this.free.splice(lo, 0, { off, size });
    }
  }

  /** Grow the memory so that a block of `size` fits at the end (reusing a free tail block). */
  private grow(size: number): void {
    const end = this.memory.buffer.byteLength;
    const last = this.free[this.free.length - 1];
    const tailFree = last && last.off + last.size === end ? last.size : 0;
    const curPages = end / PAGE;
    const needPages = Math.ceil((size - tailFree) / PAGE);
    if (curPages + needPages > MAX_PAGES) {
      throw new BackendError(
        `wasm: out of memory: a ${fmt(size)} buffer does not fit; ${fmt(this.bytesLive)} live of the 4 GiB that wasm32 can address ` +
        `(free space: ${fmt(this.free.reduce((a, b) => a + b.size, 0))}, largest block ${fmt(Math.max(0, ...this.free.map((b) => b.size)))}). ` +
        `Use smaller batches, or the WebGPU backend for larger models.`);
    }
    // Grow by at least 1/8 of the current size (fewer grow calls; untouched pages cost no RSS).
    const pages = Math.min(MAX_PAGES - curPages, Math.max(needPages, Math.ceil(curPages / 8), 16));
    try {
      this.memory.grow(pages);
    } catch (e) {
      throw new BackendError(`wasm: the runtime refused to grow memory to ${fmt((curPages + pages) * PAGE)} (${(e as Error).message})`);
    }
    this.insertFree(end, pages * PAGE);
  }
}

function align(n: number): number { return Math.ceil(n / ALIGN) * ALIGN; }

function fmt(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
