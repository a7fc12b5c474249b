// Tensor: a shaped view of one backend buffer. Ops in src/ops/ create them; dispose() returns the memory.
import type { Backend, BufferId } from "../backend/backend.js";
import { ShapeError } from "../errors.js";

export type DType = "f32";

export class Tensor {
  private disposed = false;
  constructor(
    readonly backend: Backend,
    readonly buf: BufferId,
    readonly shape: readonly number[],
    readonly dtype: DType = "f32",
  ) {}

  get size(): number { return this.shape.reduce((a, b) => a * b, 1); }

  /** Allocate an uninitialised f32 tensor on a backend. */
  static empty(backend: Backend, shape: readonly number[]): Tensor {
    for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new ShapeError(`tensor: invalid shape [${shape.join(", ")}]`);
    const size = shape.reduce((a, b) => a * b, 1);
    // Zero-size tensors still get a 4-byte buffer so every backend can bind them.
    return new Tensor(backend, backend.alloc(Math.max(size, 1) * 4), shape);
  }

  /** Upload host data into a new tensor. */
  static from(backend: Backend, data: Float32Array, shape: readonly number[]): Tensor {
    const t = Tensor.empty(backend, shape);
    if (data.length !== t.size) throw new ShapeError(`tensor: ${data.length} values do not fill shape [${shape.join(", ")}]`);
    if (data.length > 0) backend.upload(t.buf, data);
    return t;
  }

  /** Copy the values to the host (waits for queued work). */
  async data(): Promise<Float32Array> {
    if (this.size === 0) return new Float32Array(0);
    await this.backend.flush();
    const bytes = await this.backend.download(this.buf, 0, this.size * 4);
    return new Float32Array(bytes.buffer, bytes.byteOffset, this.size);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.backend.free(this.buf);
  }

  describe(): string { return `[${this.shape.join(", ")}]`; }
}
