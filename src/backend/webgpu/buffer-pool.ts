// Recycles GPU buffers by size class. The backend returns a buffer here only after the command buffer that
// last used it was submitted: queue order then keeps later writes behind that work (never a read-after-reuse race).

/** Round up to a size class: powers of two up to 4 KiB, then eighths of a power of two (≤ 12.5% slack). */
export function sizeClass(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 4) * 4);
  if (b <= 4096) return 2 ** Math.ceil(Math.log2(b));
  const step = 2 ** (Math.floor(Math.log2(b - 1)) - 3);
  return Math.ceil(b / step) * step;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  pooledBytes = 0;

  constructor(private readonly device: GPUDevice, private readonly usage: number, private readonly label: string) {}

  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(size);
    const hit = list?.pop();
    if (hit) { this.pooledBytes -= size; return hit; }
    return this.device.createBuffer({ size, usage: this.usage, label: `${this.label}:${size}` });
  }

  release(buf: GPUBuffer): void {
    const list = this.free.get(buf.size) ?? [];
    list.push(buf);
    this.free.set(buf.size, list);
    this.pooledBytes += buf.size;
  }

  /** Destroy every pooled buffer (live ones are the caller's). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.pooledBytes = 0;
  }
}
