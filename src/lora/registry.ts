// The adapters loaded on one model (many small adapters over one copy of the base weights), and merging one of
// them into the base weights for single-adapter speed. Works on ModelState; GermModel is its public face.
import { BackendError, ConfigError, FormatError, InputError, MissingTensorError } from "../errors.js";
import { toFloat32, type TensorMap } from "../io/raw-tensor.js";
import type { ModelState } from "../model/state.js";
import type { LoraDelta } from "../model/project.js";
import { checkpointWeightName, modelLinears, projectionFromRaw } from "../model/weights.js";
import type { HeadAdapter } from "../model/heads.js";
import { Weight } from "../tensor/weight.js";
import { buildAdapter, disposeAdapter, type Adapter, type AdapterFiles } from "./adapter.js";

export class AdapterRegistry {
  private readonly byName = new Map<string, Adapter>();
  private mergedName: string | null = null;

  constructor(private readonly state: ModelState) {}

  get names(): string[] { return [...this.byName.keys()]; }

  /** The adapter merged into the base weights, or null. */
  get merged(): string | null { return this.mergedName; }

  add(name: string, files: AdapterFiles, opts: { labels?: readonly string[] } = {}): Adapter {
    if (typeof name !== "string" || name === "") throw new InputError("loadAdapter: the adapter needs a non-empty name");
    if (this.byName.has(name)) throw new InputError(`loadAdapter: an adapter named "${name}" is already loaded (unloadAdapter it first)`);
    const { weights, config, backend } = this.state;
    // Checked now, never mid-forward: the backend must run the LoRA update (and f32 GEMMs for a replaced head).
    for (const [op, needs] of [["lora", {}], ["linear", { format: "f32" }]] as const) {
      const ok = backend.supports(op, needs as never);
      if (ok !== true) throw new BackendError(`loadAdapter: ${backend.name} cannot run LoRA adapters: ${ok.reason}`);
    }
    const a = buildAdapter(backend, name, files, modelLinears(weights), config.hiddenSize, opts);
    this.byName.set(name, a);
    return a;
  }

  /** An adapter made here (fine-tuning), registered like a loaded one. */
  register(a: Adapter): void {
    if (this.byName.has(a.name)) throw new InputError(`an adapter named "${a.name}" is already loaded`);
    this.byName.set(a.name, a);
  }

  remove(name: string): void {
    const a = this.get(name);
    if (this.mergedName === name) throw new InputError(`unloadAdapter: "${name}" is merged into the base weights; call unmerge() first`);
    this.byName.delete(name);
    disposeAdapter(a);
  }

  get(name: string): Adapter {
    const a = this.byName.get(name);
    if (!a) throw new InputError(`no adapter named "${name}" is loaded (loaded: ${this.names.map((n) => `"${n}"`).join(", ") || "none"})`);
    return a;
  }

  /**
   * What a call for `name` (null: the base model) runs: LoRA deltas (none for the merged adapter, whose deltas are
   * in the weights) and replaced heads. While an adapter is merged the base model no longer exists: other names fail.
   */
  resolve(name: string | null): HeadAdapter & { adapter: Adapter | null } {
    if (this.mergedName !== null && name !== this.mergedName) {
      throw new InputError(`adapter "${this.mergedName}" is merged into the base weights: only { adapter: "${this.mergedName}" } can run until unmerge()`);
    }
    if (name === null) return { adapter: null, deltas: null };
    const a = this.get(name);
    return { adapter: a, deltas: name === this.mergedName ? null : a.deltas, heads: a.heads };
  }

  /** W' = W + s·B·A for every module the adapter targets, from the checkpoint's f32 weights (`tensors`). */
  async merge(name: string, tensors: TensorMap, file: string): Promise<void> {
    const a = this.get(name);
    if (this.mergedName !== null) throw new InputError(`merge: "${this.mergedName}" is already merged; unmerge() first`);
    const { format } = this.state;
    if (format !== "f32" && format !== "f16") {
      throw new InputError(`merge: the base weights are ${format}; merging needs f32 or f16 weights (a ${format} base runs adapters unmerged)`);
    }
    if (a.deltas.has("cls.predictions.decoder")) throw new InputError(`merge: "${name}" adapts the MLM decoder, which is tied to the word embeddings; run it unmerged`);
    const linears = modelLinears(this.state.weights);
    const merged = new Map<string, Weight>();
    try {
      for (const [m, d] of a.deltas) {
        const lin = linears.get(m)!;
        const [n, k] = lin.w.shape;
        const w = this.checkpointF32(tensors, m, n, k, file);
        addLowRank(w, await hostDelta(d), n, k);
        merged.set(m, Weight.from(this.state.backend, w, [n, k], format));
      }
    } catch (e) {
      merged.forEach((w) => w.dispose());
      throw e;
    }
    this.swap(merged);
    this.mergedName = name;
  }

  /** Restore the base weights exactly as loaded (rebuilt from the checkpoint's tensors the way the loader builds them). */
  unmerge(tensors: TensorMap, file: string): void {
    if (this.mergedName === null) throw new InputError("unmerge: no adapter is merged");
    const a = this.get(this.mergedName);
    const linears = modelLinears(this.state.weights);
    const restored = new Map<string, Weight>();
    for (const m of a.deltas.keys()) {
      const [n, k] = linears.get(m)!.w.shape;
      const key = checkpointWeightName(tensors, m);
      restored.set(m, projectionFromRaw(this.state.backend, this.checkpointTensor(tensors, key, n, k, file), key, [n, k], this.state.format));
    }
    this.swap(restored);
    this.mergedName = null;
  }

  dispose(): void {
    for (const a of this.byName.values()) disposeAdapter(a);
    this.byName.clear();
  }

  private swap(ws: Map<string, Weight>): void {
    const linears = modelLinears(this.state.weights);
    for (const [m, w] of ws) { const lin = linears.get(m)!; lin.w.dispose(); lin.w = w; }
  }

  private checkpointTensor(tensors: TensorMap, key: string, n: number, k: number, file: string) {
    const t = tensors.get(key);
    if (!t) throw new MissingTensorError(`${file}: tensor "${key}" is missing (needed to merge/unmerge an adapter)`);
    if (t.shape.length !== 2 || t.shape[0] !== n || t.shape[1] !== k) throw new ConfigError(`${file}: tensor "${key}" is [${t.shape.join(", ")}], the model holds [${n}, ${k}]`);
    if (t.dtype === "I8" || t.dtype === "U8") throw new FormatError(`${file}: tensor "${key}" is quantized (${t.dtype}); merging needs float weights`);
    return t;
  }

  private checkpointF32(tensors: TensorMap, module: string, n: number, k: number, file: string): Float32Array {
    const key = checkpointWeightName(tensors, module);
    return toFloat32(this.checkpointTensor(tensors, key, n, k, file), key).slice();
  }
}

/** The delta's A, Bᵀ and scale on the host (adapters are small: r·(in + out) floats per module). */
async function hostDelta(d: LoraDelta): Promise<{ a: Float32Array; bt: Float32Array; scale: number; r: number }> {
  return { a: await d.a.data(), bt: await d.bt.data(), scale: d.scale, r: d.r };
}

/** w[o, i] += s·Σ_j B[o, j]·A[j, i], summed in float64 and rounded once (exact to f32 rounding of the merged weight). */
export function addLowRank(w: Float32Array, d: { a: Float32Array; bt: Float32Array; scale: number; r: number }, n: number, k: number): void {
  const col = new Float64Array(d.r);
  for (let o = 0; o < n; o++) {
    for (let j = 0; j < d.r; j++) col[j] = d.scale * d.bt[j * n + o];
    for (let i = 0; i < k; i++) {
      let acc = 0;
      for (let j = 0; j < d.r; j++) acc += col[j] * d.a[j * k + i];
      w[o * k + i] = w[o * k + i] + acc;
    }
  }
}
