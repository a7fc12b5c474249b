// Tensor: a shaped view of one backend buffer in one of the weight formats (activations are always f32).
// Ops in src/ops/ create them; dispose() returns the memory. Linear weights are Weights (weight.ts).
import type { Backend, BufferId } from "../contract/backend.js";
import { FORMATS, padBytes, type FormatName } from "../contract/formats.js";
import { ShapeError } from "../errors.js";

/**
 * A shaped view of one backend buffer: what the ops of germ-js/ops take and return. Activations are f32; dispose()
 * frees the buffer (ops never free their inputs).
 * @category Tensors
 * @example
 * const backend = await createBackend("wasm");
 * const x = Tensor.from(backend, new Float32Array([1, -2, 3, -4]), [2, 2]);
 * const y = unary(x, "tanh");
 * await y.data(); // Float32Array [tanh 1, tanh −2, tanh 3, tanh −4]
 * x.dispose(); y.dispose();
 */
export class Tensor {
  private disposed = false;
  constructor(
    /** The backend that owns the buffer. */
    readonly backend: Backend,
    /** The buffer holding the elements in `format`. */
    readonly buf: BufferId,
    /** Dimensions, outermost first; the last one is a row. */
    readonly shape: readonly number[],
    /** Element format (f32 for every activation). */
    readonly format: FormatName = "f32",
    /** False for a view (reshaped): its buffer belongs to the tensor it was made from. */
    private readonly owner = true,
  ) {}

  /**
   * The same buffer under another shape of the same size; the view never frees it (its source does).
   * @example
   * const flat = Tensor.empty(backend, [2, 3]).reshaped([6]);
   */
  reshaped(shape: readonly number[]): Tensor {
    checkShape(shape);
    if (shape.reduce((a, b) => a * b, 1) !== this.size) throw new ShapeError(`tensor ${this.describe()}: cannot view as [${shape.join(", ")}]`);
    return new Tensor(this.backend, this.buf, shape, this.format, false);
  }

  /** Number of elements. */
  get size(): number { return this.shape.reduce((a, b) => a * b, 1); }

  /**
   * Allocate an uninitialised tensor on a backend.
   * @example
   * const out = Tensor.empty(backend, [128, 768]);
   */
  static empty(backend: Backend, shape: readonly number[], format: FormatName = "f32"): Tensor {
    checkShape(shape);
    const [rows, cols] = rowsCols(shape);
    // Zero-size tensors still get a buffer so every backend can bind them; sizes are whole 4-byte words
    // (an odd-length f16 tensor gets one pad half) because WebGPU copies and binds in 4-byte units.
    const bytes = padBytes(Math.max(FORMATS[format].dataBytes(rows, cols), 4));
    return new Tensor(backend, backend.alloc(bytes), shape, format);
  }

  /**
   * Upload f32 host values into a new tensor, encoded by the format's reference encoder (f16: nearest half).
   * @example
   * const w = Tensor.from(backend, new Float32Array([0.1, 0.2]), [1, 2], "f16");
   * await w.data(); // [0.0999755859375, 0.199951171875]: the nearest halves
   */
  static from(backend: Backend, data: Float32Array, shape: readonly number[], format: FormatName = "f32"): Tensor {
    checkShape(shape);
    if (FORMATS[format].scales !== "none") throw new ShapeError(`tensor: ${format} needs scales; quantized weights are Weights (Weight.from)`);
    const [rows, cols] = rowsCols(shape);
    if (data.length !== rows * cols) throw new ShapeError(`tensor: ${data.length} values do not fill shape [${shape.join(", ")}]`);
    return Tensor.fromBytes(backend, format, FORMATS[format].encode(data, rows, cols).data, shape);
  }

  /**
   * Upload bytes already in `format` (e.g. an F16 checkpoint tensor for "f16") as they are: no conversion. For a
   * quantized format these are its `data` only (Weight.fromEncoded pairs them with their scales).
   * @example
   * const { tensors } = readSafetensors(bytes, "model.safetensors");
   * const t = tensors.get("bert.embeddings.word_embeddings.weight")!; // F32 [4096, 768]
   * const table = Tensor.fromBytes(backend, "f32", t.bytes, t.shape);
   */
  static fromBytes(backend: Backend, format: FormatName, bytes: Uint8Array, shape: readonly number[]): Tensor {
    checkShape(shape);
    const [rows, cols] = rowsCols(shape);
    const want = FORMATS[format].dataBytes(rows, cols);
    if (bytes.byteLength !== want) throw new ShapeError(`tensor: ${bytes.byteLength} bytes for ${format} [${shape.join(", ")}] (want ${want})`);
    const t = Tensor.empty(backend, shape, format);
    if (want > 0) {
      const padded = padBytes(want);
      // Uploads go in whole 4-byte words: an odd tail gets zero padding in a copy.
      const src = padded === want ? bytes : (() => { const c = new Uint8Array(padded); c.set(bytes); return c; })();
      backend.upload(t.buf, src);
    }
    return t;
  }

  /**
   * The values as f32 on the host, decoded by the format's reference decoder (waits for queued work).
   * @example
   * const values = await Tensor.from(backend, new Float32Array([1, 2]), [2]).data(); // Float32Array [1, 2]
   */
  async data(): Promise<Float32Array> {
    if (this.size === 0) return new Float32Array(0);
    await this.backend.flush();
    const [rows, cols] = rowsCols(this.shape);
    if (FORMATS[this.format].scales !== "none") throw new ShapeError(`tensor ${this.describe()}: quantized data cannot be read without its scales`);
    const bytes = await this.backend.download(this.buf, 0, padBytes(FORMATS[this.format].dataBytes(rows, cols)));
    return FORMATS[this.format].decode({ data: bytes }, rows, cols);
  }

  /** Free the buffer (not for a view); a second call does nothing. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.owner) this.backend.free(this.buf);
  }

  /** Shape and format for messages: "[2, 3]", "[768, 768] f16". */
  describe(): string { return `[${this.shape.join(", ")}]${this.format === "f32" ? "" : ` ${this.format}`}`; }
}

function checkShape(shape: readonly number[]): void {
  for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new ShapeError(`tensor: invalid shape [${shape.join(", ")}]`);
}

/** A shape as [rows, cols] (the last dim is a row; a scalar is 1×1), which is how formats lay out bytes. */
export function rowsCols(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  const cols = shape[shape.length - 1];
  return [shape.slice(0, -1).reduce((a, b) => a * b, 1), cols];
}
