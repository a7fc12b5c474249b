// Tensor: a shaped view of one backend buffer. Ops in src/ops/ create them; dispose() returns the memory.
import type { Backend, BufferId } from "../backend/backend.js";
import { ShapeError } from "../errors.js";
import { fromHalfBits, toHalfBits } from "./half.js";

/** Element format of a tensor's buffer. f16 (IEEE half) is for GEMM weights only; every op output is f32. */
export type DType = "f32" | "f16";

const BYTES: Record<DType, number> = { f32: 4, f16: 2 };

export class Tensor {
  private disposed = false;
  constructor(
    readonly backend: Backend,
    readonly buf: BufferId,
    readonly shape: readonly number[],
    readonly dtype: DType = "f32",
  ) {}

  get size(): number { return this.shape.reduce((a, b) => a * b, 1); }

  /** Allocate an uninitialised tensor on a backend. */
  static empty(backend: Backend, shape: readonly number[], dtype: DType = "f32"): Tensor {
    for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new ShapeError(`tensor: invalid shape [${shape.join(", ")}]`);
    const size = shape.reduce((a, b) => a * b, 1);
    // Zero-size tensors still get a buffer so every backend can bind them; sizes are whole 4-byte words
    // (an odd-length f16 tensor gets one pad half) because WebGPU copies and binds in 4-byte units.
    const bytes = Math.ceil((Math.max(size, 1) * BYTES[dtype]) / 4) * 4;
    return new Tensor(backend, backend.alloc(bytes, dtype), shape, dtype);
  }

  /**
   * Upload host data into a new tensor. With dtype "f16" the values are rounded to IEEE half on the host
   * (nearest, ties to even) and stored as 2-byte halves.
   * @example
   * const w = Tensor.from(backend, new Float32Array([0.1, 0.2]), [1, 2], "f16"); // await w.data() → [0.0999755859375, 0.199951171875]
   */
  static from(backend: Backend, data: Float32Array, shape: readonly number[], dtype: DType = "f32"): Tensor {
    const t = Tensor.empty(backend, shape, dtype);
    if (data.length !== t.size) {
      t.dispose();
      throw new ShapeError(`tensor: ${data.length} values do not fill shape [${shape.join(", ")}]`);
    }
    if (data.length > 0) backend.upload(t.buf, dtype === "f16" ? toHalfBits(data) : data);
    return t;
  }

  /** Copy the values to the host as f32 (f16 tensors are widened exactly; waits for queued work). */
  async data(): Promise<Float32Array> {
    if (this.size === 0) return new Float32Array(0);
    await this.backend.flush();
    const bytes = await this.backend.download(this.buf, 0, this.size * BYTES[this.dtype]);
    if (this.dtype === "f16") return fromHalfBits(new Uint16Array(bytes.buffer, bytes.byteOffset, this.size));
    return new Float32Array(bytes.buffer, bytes.byteOffset, this.size);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.backend.free(this.buf);
  }

  describe(): string { return `[${this.shape.join(", ")}]${this.dtype === "f32" ? "" : ` ${this.dtype}`}`; }
}
