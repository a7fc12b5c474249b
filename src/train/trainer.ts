// One LoRA fine-tuning run on a loaded model, as peft's task_type="SEQ_CLS" trains: the LoRA A/B of the targeted
// Linears plus a copy of the classifier (modules_to_save) are trainable, every base weight frozen. A step is a
// forward that records a tape, the loss on the host (logits are tiny), the backward pass, the global gradient norm
// (optionally clipped) and torch.optim.AdamW as an op (HF Trainer's groups: no decay on the bias).
import type { TensorMap } from "../io/raw-tensor.js";
import { toFloat32 } from "../io/raw-tensor.js";
import { ConfigError, InputError } from "../errors.js";
import { Tensor } from "../tensor/tensor.js";
import { Weight } from "../tensor/weight.js";
import { adamw } from "../ops/grad.js";
import { axpy } from "../ops/ops.js";
import { embeddings, encode, encodeLayer, type PackedBatch } from "../model/encoder.js";
import type { Graph } from "../model/graph.js";
import type { ModelState } from "../model/state.js";
import type { LinearWeights, LoraDelta } from "../model/project.js";
import { checkpointWeightName, modelLinears } from "../model/weights.js";
import { classifierLogits, type HeadAdapter } from "../model/heads.js";
import { rng, seedOf } from "../contract/random.js";
import { transpose } from "../contract/math.js";
import { matches, peftModuleName, type ModuleMatcher } from "../lora/config.js";
import { TrainingGraph, type DropoutPlan, type TrainableDelta } from "./graph.js";
import { dropoutHash } from "../contract/dropout.js";
import { Tape } from "./tape.js";
import { crossEntropy, meanSquaredError } from "./loss.js";

export interface LoraSpec {
  r: number;
  alpha: number;
  /** peft's target_modules: a list (name equal or ending in "." + entry) or a regex. Default ["Wqkv"] (GERM's recipe). */
  targets: ModuleMatcher;
  rslora?: boolean;
  /** Starting values by peft parameter name (`bert.….Wqkv.lora_A.weight` [r, in], `…lora_B.weight` [out, r], `classifier.weight`, `classifier.bias`). */
  init?: ReadonlyMap<string, Float32Array>;
  /** Number of labels of the trained classifier (default: the base classifier's); 1 = regression (MSE). */
  numLabels?: number;
  /** Seed of the initialisation (A, and a new classifier). */
  seed?: number;
  /** Recompute each layer's activations in the backward pass (one layer alive at a time) instead of keeping them all. */
  recompute?: boolean;
  /** Dropout probabilities (default 0 everywhere: the training goldens' eval-mode math): peft's lora_dropout on each
   *  LoRA input, BERT's hidden dropout (embeddings, attention output, MLP output), and before the classifier. */
  dropout?: { lora?: number; hidden?: number; classifier?: number };
}

/** One trainable tensor: its peft name, its tensor, whether AdamW decays it, and its optimizer state. */
export interface Param { name: string; t: Tensor; decay: boolean; m: Tensor; v: Tensor; /** Stored transposed (Bᵀ) relative to the peft tensor. */ transposed?: [number, number] }

export interface StepOptions { lr: number; weightDecay?: number; maxGradNorm?: number | null; beta1?: number; beta2?: number; eps?: number }
export interface Gradients { loss: number; logits: Float32Array; grads: Map<Param, Tensor>; activations?: Map<string, Tensor> }

export class LoraTrainer {
  readonly params: Param[] = [];
  readonly deltas = new Map<string, TrainableDelta & { r: number; full: string }>();
  readonly numLabels: number;
  /** Whether the checkpoint names encoder modules "bert.…" (so the adapter's keys do too). */
  readonly prefixed: boolean;
  private readonly wt = new Map<string, Weight>();
  private readonly classifier: { w: Param; b: Param };
  private readonly ones = new Map<number, Tensor>();
  private readonly pooler: LinearWeights;
  private steps = 0;
  /** Forward passes with dropout so far: each draws its own masks (seeded by spec.seed and this count). */
  private draws = 0;

  /** `tensors`: the checkpoint's (the frozen weights are transposed from them; its names say whether "bert." prefixes). */
  constructor(private readonly state: ModelState, readonly spec: LoraSpec, tensors: TensorMap, file: string) {
    const { backend, config: cfg, weights } = state;
    if (state.format !== "f32" && state.format !== "f16") throw new InputError(`fineTune: the base weights are ${state.format}; training needs f32 or f16 weights`);
    if (!weights.pooler.ok) throw new ConfigError(`fineTune: the checkpoint has no pooler (${weights.pooler.missing.join(", ")}); the classifier reads tanh(pooler(h[CLS]))`);
    this.pooler = weights.pooler.w;
    const linears = modelLinears(weights);
    const prefixed = checkpointWeightName(tensors, "encoder.layer.0.mlp.wo").startsWith("bert.");
    const full = (m: string) => peftModuleName(m, prefixed);
    this.prefixed = prefixed;
    const random = rng(spec.seed ?? 42);
    const param = (name: string, data: Float32Array, shape: number[], decay: boolean, transposed?: [number, number]): Param => {
      const p: Param = { name, t: Tensor.from(backend, data, shape), decay, m: Tensor.from(backend, new Float32Array(data.length), shape), v: Tensor.from(backend, new Float32Array(data.length), shape), transposed };
      this.params.push(p);
      return p;
    };
    const given = (name: string, size: number): Float32Array | undefined => {
      const v = spec.init?.get(name);
      if (v && v.length !== size) throw new ConfigError(`fineTune: init "${name}" has ${v.length} values, expected ${size}`);
      return v;
    };
    for (const [m, lin] of linears) {
      if (m === "classifier" || m.startsWith("cls.")) continue; // modules_to_save / the MLM head: not LoRA targets here
      if (!matches(spec.targets, full(m))) continue;
      const [out, inF] = lin.w.shape, r = spec.r, bound = 1 / Math.sqrt(inF);
      const nA = `${full(m)}.lora_A.weight`, nB = `${full(m)}.lora_B.weight`;
      // peft: A ~ kaiming_uniform(a = √5) = U(±1/√in), B = 0.
      const a = given(nA, r * inF) ?? Float32Array.from({ length: r * inF }, () => (random() * 2 - 1) * bound);
      const b = given(nB, out * r);
      const bt = b ? transpose(b, out, r) : new Float32Array(r * out);
      const pa = param(nA, a, [r, inF], true), pb = param(nB, bt, [r, out], true, [out, r]);
      this.deltas.set(m, { a: pa.t, bt: pb.t, scale: spec.rslora ? spec.alpha / Math.sqrt(r) : spec.alpha / r, r, full: full(m) });
    }
    if (this.deltas.size === 0) throw new ConfigError(`fineTune: targetModules match no Linear of this model`);
    const H = cfg.hiddenSize, base = weights.classifier.ok ? weights.classifier.w : null;
    this.numLabels = spec.numLabels ?? base?.w.shape[0] ?? cfg.labels.length;
    let cw = given("classifier.weight", this.numLabels * H), cb = given("classifier.bias", this.numLabels);
    if (!cw || !cb) {
      const keep = base && base.w.shape[0] === this.numLabels ? this.baseClassifier(tensors, file) : null;
      // A new head: torch.nn.Linear's init, U(±1/√in) for weight and bias.
      cw ??= keep?.w ?? Float32Array.from({ length: this.numLabels * H }, () => (random() * 2 - 1) / Math.sqrt(H));
      cb ??= keep?.b ?? Float32Array.from({ length: this.numLabels }, () => (random() * 2 - 1) / Math.sqrt(H));
    }
    this.classifier = { w: param("classifier.weight", cw, [this.numLabels, H], true), b: param("classifier.bias", cb, [1, this.numLabels], false) };
    const unused = [...(spec.init?.keys() ?? [])].filter((k) => !this.params.some((p) => p.name === k));
    if (unused.length) throw new ConfigError(`fineTune: init "${unused[0]}" is not a trainable parameter of this run (${this.params.map((p) => p.name).slice(0, 3).join(", ")}, …)`);
    // Wᵀ of every frozen projection a gradient flows through (all but the classifier, which is trained).
    for (const [m, lin] of linears) {
      if (m === "classifier" || m.startsWith("cls.")) continue;
      const key = checkpointWeightName(tensors, m), t = tensors.get(key);
      if (!t) throw new ConfigError(`${file}: tensor "${key}" is missing (fine-tuning reads the frozen weights to transpose them)`);
      const [n, k] = lin.w.shape;
      this.wt.set(m, Weight.from(backend, transpose(toFloat32(t, key), n, k), [k, n], state.format));
    }
  }

  /** Optimizer steps taken so far. */
  get stepCount(): number { return this.steps; }

  /**
   * Forward + backward for one batch: the loss (mean over the batch), the logits and every parameter's gradient
   * (caller disposes). `activations`: also dL/d(embedding output), dL/d(each layer's attention output and output);
 * `scale` multiplies the gradients (not the returned loss).
   */
  async gradients(batch: PackedBatch, labels: ArrayLike<number>, opts: { activations?: boolean; scale?: number; draw?: number } = {}): Promise<Gradients> {
    const count = batch.seqs.count;
    if (labels.length !== count) throw new InputError(`fineTune: ${labels.length} labels for ${count} sequences`);
    // `draw` fixes the dropout masks (tests compare gradients against finite differences of one masked loss).
    const plan = this.dropoutPlan(opts.draw ?? this.draws++);
    return this.spec.recompute ? this.gradientsRecomputed(batch, labels, opts, plan) : this.gradientsTaped(batch, labels, opts, plan);
  }

  /** The masks of forward number `draw`: each site's seed hashes (spec.seed, draw, site); undefined without dropout. */
  private dropoutPlan(draw: number): DropoutPlan | undefined {
    const d = this.spec.dropout, lora = d?.lora ?? 0, hidden = d?.hidden ?? 0, classifier = d?.classifier ?? 0;
    if (lora === 0 && hidden === 0 && classifier === 0) return undefined;
    const base = dropoutHash(this.spec.seed ?? 42, draw);
    return { lora, hidden, classifier, seed: (site) => dropoutHash(base, seedOf(site)) };
  }

  /** One tape over the whole step: every activation the backward needs is kept until the step ends. */
  private async gradientsTaped(batch: PackedBatch, labels: ArrayLike<number>, opts: { activations?: boolean; scale?: number }, plan?: DropoutPlan): Promise<Gradients> {
    const tape = new Tape();
    const acts = new Map<string, Tensor>();
    try {
      for (const p of this.params) tape.watch(p.t);
      const graph = this.graph(tape, opts.activations ? acts : null, plan);
      const hidden = await encode(this.state, batch, { graph });
      const { loss, logits } = await this.headsAndBackward(tape, graph, hidden, batch, labels, opts.scale);
      const grads = this.takeGrads(tape, new Map());
      const activations = opts.activations ? this.takeActs(tape, acts, new Map()) : undefined;
      return { loss, logits, grads, activations };
    } finally {
      tape.dispose();
    }
  }

  /**
   * Per-layer recomputation (activation checkpointing): the forward keeps only each layer's input; the backward runs
   * the heads on one tape, then each layer again on its own tape, from the last to the first, so one layer's
   * activations are alive at a time — for long sequences, at the cost of one more forward pass.
   */
  private async gradientsRecomputed(batch: PackedBatch, labels: ArrayLike<number>, opts: { activations?: boolean; scale?: number }, plan?: DropoutPlan): Promise<Gradients> {
    const { state } = this, L = state.weights.layers.length;
    const inputs: Tensor[] = [];
    const grads = new Map<Param, Tensor>(), activations = opts.activations ? new Map<string, Tensor>() : undefined;
    // The first forward runs each step on a scratch tape that watches nothing (so it records no backward) and is
    // freed after it: the same ops and dropout masks as the recomputation, one layer's intermediates alive at a time.
    const scratch = async (f: (g: Graph) => Tensor | Promise<Tensor>, input?: Tensor): Promise<Tensor> => {
      const tape = new Tape();
      if (input) tape.keep(input);
      try {
        const out = tape.untrack(await f(this.graph(tape, null, plan)));
        if (input) tape.untrack(input);
        return out;
      } finally { tape.dispose(); }
    };
    let x = await scratch((g) => embeddings(state, batch, g));
    try {
      for (let j = 0; j < L; j++) { inputs.push(x); const input = x; x = await scratch((g) => encodeLayer(state, batch, j, input, { graph: g }), input); }
      inputs.push(x);
      let g: Tensor | undefined;
      let result: { loss: number; logits: Float32Array };
      const head = new Tape();
      try {
        for (const p of this.params) head.watch(p.t);
        head.keep(x);
        head.watch(x);
        result = await this.headsAndBackward(head, this.graph(head, null, plan), x, batch, labels, opts.scale);
        g = head.take(x);
        this.takeGrads(head, grads);
      } finally { head.dispose(); inputs.pop(); }
      for (let j = L - 1; j >= 0; j--) {
        const tape = new Tape(), acts = new Map<string, Tensor>();
        try {
          for (const p of this.params) tape.watch(p.t);
          const input = tape.keep(inputs[j]);
          inputs[j] = undefined as never; // the tape frees it now
          if (j > 0 || opts.activations) tape.watch(input);
          const out = await encodeLayer(state, batch, j, input, { graph: this.graph(tape, activations ? acts : null, plan) });
          tape.backward(g ? [[out, g]] : []);
          g = tape.take(input);
          this.takeGrads(tape, grads);
          if (activations) this.takeActs(tape, acts, activations);
          if (j === 0 && activations && g) { activations.set("embeddings", g); g = undefined; }
        } finally { tape.dispose(); }
      }
      g?.dispose();
      for (const p of this.params) if (!grads.has(p)) grads.set(p, Tensor.from(state.backend, new Float32Array(p.t.size), p.t.shape));
      return { ...result, grads, activations };
    } catch (e) {
      for (const t of inputs) t?.dispose();
      grads.forEach((t) => t.dispose());
      throw e;
    }
  }

  private graph(tape: Tape, acts: Map<string, Tensor> | null, plan?: DropoutPlan): TrainingGraph {
    return new TrainingGraph(tape, this.deltas, (lin) => this.transposed(lin), acts ? {
      onEmbeddings: (x) => { tape.watch(x); acts.set("embeddings", x); },
      onLayer: (j, a, l) => { tape.retain(a); tape.retain(l); acts.set(`layer.${j}.attention`, a); acts.set(`layer.${j}`, l); },
    } : {}, plan);
  }

  /** [CLS] rows → pooler → trainable classifier on the tape, the loss on the host, then the backward pass from it. */
  private async headsAndBackward(tape: Tape, graph: TrainingGraph, hidden: Tensor, batch: PackedBatch, labels: ArrayLike<number>, scale?: number) {
    const count = batch.seqs.count;
    const cls = graph.rows(hidden, batch.seqs.offsets.subarray(0, count));
    const pooled = graph.dropout(graph.tanh(graph.project(cls, this.pooler)), "classifier");
    const z = graph.trainableLinear(pooled, this.classifier.w.t, this.classifier.b.t, this.onesRow(count), (t) => Weight.fromTensor(t, { shared: true }));
    const logits = await z.data();
    const { loss, grad } = this.numLabels === 1 ? meanSquaredError(logits, labels) : crossEntropy(logits, labels, this.numLabels);
    // `scale`: 1/accumulation steps, as the HF Trainer divides each micro-batch's loss.
    if (scale !== undefined) for (let i = 0; i < grad.length; i++) grad[i] *= scale;
    tape.backward([[z, Tensor.from(this.state.backend, grad, z.shape)]]);
    return { loss, logits };
  }

  /** Move the tape's parameter gradients into `into` (summed with what is there; zeros for the untouched, at the end). */
  private takeGrads(tape: Tape, into: Map<Param, Tensor>): Map<Param, Tensor> {
    for (const p of this.params) {
      const g = tape.take(p.t);
      if (g) addGrad(into, p, g);
    }
    if (!this.spec.recompute) for (const p of this.params) if (!into.has(p)) into.set(p, Tensor.from(this.state.backend, new Float32Array(p.t.size), p.t.shape));
    return into;
  }

  private takeActs(tape: Tape, acts: Map<string, Tensor>, into: Map<string, Tensor>): Map<string, Tensor> {
    for (const [k, t] of acts) { const g = tape.take(t); if (g) into.set(k, g); }
    return into;
  }

  /**
   * One AdamW step from `grads` (consumed): the global L2 norm of all gradients (before clipping) is returned;
   * with maxGradNorm, gradients are scaled by maxGradNorm / (norm + 1e-6) when that is below 1 (torch's clip_grad_norm_).
   */
  async apply(grads: Map<Param, Tensor>, o: StepOptions): Promise<number> {
    const host = new Map<Param, Float32Array>();
    let sq = 0;
    for (const [p, g] of grads) { const v = await g.data(); host.set(p, v); for (const x of v) sq += x * x; }
    const norm = Math.sqrt(sq);
    const clip = o.maxGradNorm != null && Number.isFinite(norm) ? o.maxGradNorm / (norm + 1e-6) : 1;
    this.steps++;
    for (const [p, g] of grads) {
      const use = clip < 1 ? Tensor.from(this.state.backend, host.get(p)!.map((x) => x * clip), p.t.shape) : g;
      adamw(p.t, use, p.m, p.v, { lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: p.decay ? o.weightDecay ?? 0 : 0, step: this.steps });
      if (use !== g) use.dispose();
      g.dispose();
    }
    return norm;
  }

  /** Sum `more` into `into` (gradient accumulation over micro-batches); `more` is consumed. */
  accumulate(into: Map<Param, Tensor>, more: Map<Param, Tensor>): void {
    for (const [p, g] of more) addGrad(into, p, g);
  }

  /** The current adapter as inference runs it (the lora op, the trained classifier): for evaluation during training. */
  logits(batch: PackedBatch): Promise<Float32Array> {
    return this.withHead(async (ad) => {
      const lora = [{ deltas: ad.deltas, start: 0, count: batch.seqs.total }];
      const hidden = await encode(this.state, batch, { lora });
      try {
        const z = classifierLogits(this.state.weights, hidden, batch.seqs.offsets.subarray(0, batch.seqs.count), ad);
        try { return await z.data(); } finally { z.dispose(); }
      } finally { hidden.dispose(); }
    });
  }

  /** The trained values by peft name, in peft's layout (lora_B as [out, r], the bias as [labels]). */
  async values(): Promise<Map<string, { data: Float32Array; shape: number[] }>> {
    const out = new Map<string, { data: Float32Array; shape: number[] }>();
    for (const p of this.params) {
      const v = await p.t.data();
      if (!p.transposed) { out.set(p.name, { data: v, shape: p.name === "classifier.bias" ? [v.length] : [...p.t.shape] }); continue; }
      const [n, r] = p.transposed;
      out.set(p.name, { data: transpose(v, r, n), shape: [n, r] });
    }
    return out;
  }

  /** Overwrite some elements of a parameter (TRAINING.md's protocol for Adam-sensitive elements in tests). */
  async overwrite(name: string, at: readonly number[], values: Float32Array): Promise<void> {
    const p = this.params.find((q) => q.name === name);
    if (!p) throw new InputError(`no trainable parameter "${name}"`);
    const v = await p.t.data();
    for (const i of at) {
      if (!p.transposed) { v[i] = values[i]; continue; }
      const [, r] = p.transposed, o = Math.floor(i / r), j = i % r;
      v[j * p.transposed[0] + o] = values[i];
    }
    this.state.backend.upload(p.t.buf, v);
  }

  dispose(): void {
    for (const p of this.params) { p.t.dispose(); p.m.dispose(); p.v.dispose(); }
    for (const w of this.wt.values()) w.dispose();
    for (const t of this.ones.values()) t.dispose();
  }

  /** Hands the trained A, Bᵀ and classifier over as inference tensors; the trainer frees only its optimizer state. */
  release(): { deltas: Map<string, LoraDelta & { full: string }>; classifier: { w: Tensor; b: Tensor } } {
    const deltas = new Map<string, LoraDelta & { full: string }>();
    for (const [m, d] of this.deltas) deltas.set(m, { a: d.a, bt: d.bt, scale: d.scale, r: d.r, full: d.full });
    const classifier = { w: this.classifier.w.t, b: this.classifier.b.t };
    for (const p of this.params) { p.m.dispose(); p.v.dispose(); }
    for (const w of this.wt.values()) w.dispose();
    for (const t of this.ones.values()) t.dispose();
    this.params.length = 0;
    return { deltas, classifier };
  }

  private async withHead<T>(f: (ad: HeadAdapter) => Promise<T>): Promise<T> {
    const w = Weight.fromTensor(this.classifier.w.t, { shared: true }), b = this.classifier.b.t.reshaped([this.numLabels]);
    try {
      return await f({ deltas: this.deltas, heads: new Map<string, LinearWeights>([["classifier", { name: "classifier", w, b }]]) });
    } finally { w.dispose(); b.dispose(); }
  }

  private transposed(lin: LinearWeights): Weight {
    const w = this.wt.get(lin.name);
    if (!w) throw new Error(`internal: no transposed weight for ${lin.name}`);
    return w;
  }

  private onesRow(n: number): Tensor {
    let t = this.ones.get(n);
    if (!t) { t = Tensor.from(this.state.backend, new Float32Array(n).fill(1), [1, n]); this.ones.set(n, t); }
    return t;
  }

  private baseClassifier(tensors: TensorMap, file: string): { w: Float32Array; b: Float32Array } {
    const w = tensors.get("classifier.weight"), b = tensors.get("classifier.bias");
    if (!w || !b) throw new ConfigError(`${file}: classifier.weight / classifier.bias missing`);
    return { w: toFloat32(w, "classifier.weight").slice(), b: toFloat32(b, "classifier.bias").slice() };
  }
}

/** into[p] += g (g consumed): per-layer tapes and accumulation steps add their gradients up. */
function addGrad(into: Map<Param, Tensor>, p: Param, g: Tensor): void {
  const prev = into.get(p);
  if (!prev) { into.set(p, g); return; }
  into.set(p, axpy(1, g, prev));
  prev.dispose(); g.dispose();
}
