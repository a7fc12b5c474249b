// Weight: a linear layer's weight [n, k] (PyTorch [out, in]) as the backend's GEMM reads it: format + buffer(s),
// prepared once (Backend.prepareWeight) when it is made, so no kernel ever repacks a weight behind a reader's back.
import type { Backend, BufferId } from "../contract/backend.js";
import { FORMATS, type EncodedWeight, type FormatName } from "../contract/formats.js";
import { halfExact } from "../contract/half.js";
import type { WeightArg } from "../contract/spec.js";
import { InputError, ShapeError } from "../errors.js";
import { Tensor } from "./tensor.js";

/**
 * A linear layer's weight [n, k] (PyTorch [out, in]) in one of the weight formats, laid out once for the backend's
 * GEMM. The `linear` op takes it.
 * @category Tensors
 * @example
 * const backend = await createBackend("wasm");
 * const w = Weight.from(backend, new Float32Array(2 * 3).fill(0.5), [2, 3], "q8");
 * const y = linear(Tensor.from(backend, new Float32Array([1, 2, 3]), [1, 3]), w); // [1, 2], ≈ [3, 3]
 */
export class Weight {
  private disposed = false;
  private constructor(
    /** The backend that owns the buffers. */
    readonly backend: Backend,
    /** The weight as an op argument (buffers, format, prepared layout). */
    readonly arg: Readonly<WeightArg>,
    /** The shape [n, k]: output features, input features. */
    readonly shape: readonly [n: number, k: number],
    /** Buffers this weight frees on dispose (not a shared source, e.g. the embedding table a tied decoder reads). */
    private readonly owned: BufferId[],
  ) {}

  /** The weight format. */
  get format(): FormatName { return this.arg.format; }

  /**
   * The weight of a 2-D tensor. It takes the tensor over (the tensor must not be used afterwards: its buffer may
   * now hold the backend's GEMM layout) unless `shared`, when the tensor stays usable by its other readers and its
   * owner keeps freeing it.
   * @example
   * const w = Weight.fromTensor(Tensor.from(backend, new Float32Array(768 * 3072), [768, 3072], "f16"));
   */
  static fromTensor(t: Tensor, opts: { shared?: boolean } = {}): Weight {
    if (t.shape.length !== 2) throw new ShapeError(`weight: tensor ${t.describe()}: expected [out, in]`);
    const [n, k] = t.shape as [number, number];
    const source: WeightArg = { data: t.buf, format: t.format };
    if (FORMATS[t.format].scales !== "none") throw new ShapeError(`weight: a ${t.format} tensor needs its scales: use Weight.fromEncoded`);
    const arg = t.backend.prepareWeight(source, n, k, !opts.shared);
    const fresh = arg.data !== source.data;
    if (fresh && !opts.shared) t.dispose();
    const owned = fresh ? [arg.data] : opts.shared ? [] : [t.buf];
    if (arg.scales !== undefined) owned.push(arg.scales);
    return new Weight(t.backend, arg, [n, k], owned);
  }

  /**
   * Encode f32 values [n, k] into `format` (its reference encoder: formats.ts) and prepare them.
   * @example
   * const w = Weight.from(backend, new Float32Array(768 * 768), [768, 768], "q4");
   */
  static from(backend: Backend, values: Float32Array, shape: readonly [number, number], format: FormatName = "f32"): Weight {
    if (values.length !== shape[0] * shape[1]) throw new ShapeError(`weight: ${values.length} values do not fill [${shape.join(", ")}]`);
    if (FORMATS[format].scales === "none") return Weight.fromTensor(Tensor.from(backend, values, shape, format));
    return Weight.fromEncoded(backend, format, FORMATS[format].encode(values, shape[0], shape[1]), shape);
  }

  /**
   * Bytes (and scales) already in `format`, e.g. read from a quantized checkpoint; prepared like any weight. A q8
   * weight may carry a static activation scale (`inputScale`): linear then quantizes every row of x with it.
   * @example
   * const enc = FORMATS.q8.encode(new Float32Array(4 * 8), 4, 8);
   * const w = Weight.fromEncoded(backend, "q8", enc, [4, 8]);
   * const fixed = Weight.fromEncoded(backend, "q8", { ...enc, inputScale: 0.02 }, [4, 8]); // x quantized with s = 0.02
   */
  static fromEncoded(backend: Backend, format: FormatName, w: EncodedWeight, shape: readonly [number, number]): Weight {
    const [n, k] = shape, f = FORMATS[format];
    const want = f.scaleCount(n, k);
    if ((w.scales?.length ?? 0) !== want) throw new ShapeError(`weight ${format} [${n}, ${k}]: ${w.scales?.length ?? 0} scales, expected ${want}`);
    const inputScale = w.inputScale === undefined ? undefined : Math.fround(w.inputScale);
    if (inputScale !== undefined && (f.activations !== "int8-row" || !(inputScale > 0 && Number.isFinite(inputScale)))) {
      throw new InputError(`weight ${format} [${n}, ${k}]: static input scale ${w.inputScale}: only q8 weights take one, a finite f32 > 0`);
    }
    const data = Tensor.fromBytes(backend, format, w.data, shape);
    if (want === 0) return Weight.fromTensor(data);
    // q4 scales that are exact halves (quantize({ scales: "f16" }) makes them) go in half the bytes where linear reads them so.
    const halves = format === "q4" && backend.supports("linear", { format, scalesF16: true }) === true && halfExact(w.scales!);
    const scales = Tensor.from(backend, w.scales!, [want], halves ? "f16" : "f32");
    const source: WeightArg = { data: data.buf, scales: scales.buf, format, ...(halves ? { scalesF16: true } : {}), ...(inputScale !== undefined ? { inputScale } : {}) };
    const arg = backend.prepareWeight(source, n, k, true);
    const owned = [arg.data, arg.scales ?? scales.buf];
    if (arg.data !== data.buf) data.dispose();
    if (arg.scales !== undefined && arg.scales !== scales.buf) scales.dispose();
    return new Weight(backend, arg, [n, k], owned);
  }

  /** Free the buffers this weight owns; a second call does nothing. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.owned) this.backend.free(b);
  }

  /** Shape and format for messages: "[2304, 768] q8". */
  describe(): string { return `[${this.shape.join(", ")}]${this.format === "f32" ? "" : ` ${this.format}`}`; }
}
