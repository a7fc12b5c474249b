// The tape of one training step: each recorded op's output, inputs and backward rule, run in reverse. It owns the
// activations the forward kept for the backward (freed by dispose()), accumulates gradients of tensors with several
// consumers (the residual stream), and skips every gradient nothing trainable depends on. Full-parameter training
// would be the same machinery with more watched tensors.
import type { Tensor } from "../tensor/tensor.js";
import { axpy } from "../ops/ops.js";

/** Gradients of a node's inputs from its output's gradient `g`; `need[i]` says whether input i wants one. */
export type BackwardRule = (g: Tensor, need: readonly boolean[]) => (Tensor | null)[];

interface Node { out: Tensor; inputs: readonly Tensor[]; backward: BackwardRule }

export class Tape {
  private readonly nodes: Node[] = [];
  private readonly requires = new Set<Tensor>();
  private readonly kept = new Set<Tensor>();
  private readonly grads = new Map<Tensor, Tensor>();
  private readonly retained = new Set<Tensor>();
  private readonly retainedGrads = new Map<Tensor, Tensor>();

  /** A leaf whose gradient is wanted: a trainable parameter, or an input under test. */
  watch(t: Tensor): Tensor { this.requires.add(t); return t; }

  requiresGrad(t: Tensor): boolean { return this.requires.has(t); }

  /** Keep a tensor alive until dispose() (an activation a backward rule reads). */
  keep(t: Tensor): Tensor { this.kept.add(t); return t; }

  isKept(t: Tensor): boolean { return this.kept.has(t); }

  /** Hand a kept tensor back to the caller: dispose() will not free it (a layer output that outlives its tape). */
  untrack(t: Tensor): Tensor { this.kept.delete(t); return t; }

  /** Record out = f(inputs). The tape keeps `out`; the rule runs only if some input requires a gradient. */
  record(out: Tensor, inputs: readonly Tensor[], backward: BackwardRule): Tensor {
    this.kept.add(out);
    if (inputs.some((t) => this.requires.has(t))) {
      this.requires.add(out);
      this.nodes.push({ out, inputs, backward });
    }
    return out;
  }

  /** Also keep the gradient of this (non-leaf) tensor when the backward pass computes it. */
  retain(t: Tensor): void { this.retained.add(t); }

  /** Run the backward pass from `seeds` (a tensor and dL/d it; the tape takes the gradients over). */
  backward(seeds: readonly [Tensor, Tensor][]): void {
    for (const [t, g] of seeds) this.accumulate(t, g);
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i];
      const g = this.grads.get(n.out);
      if (!g) continue;
      this.grads.delete(n.out);
      const need = n.inputs.map((t) => this.requires.has(t));
      const gi = n.backward(g, need);
      if (this.retained.has(n.out)) this.retainedGrads.set(n.out, g); else g.dispose();
      const mine = gi.map((x, j) => (x && need[j] ? x : null));
      // One gradient for two inputs (LayerNorm's input and its residual): the second gets an exact copy (0·x + x).
      for (let j = 0; j < mine.length; j++) for (let k = 0; k < j; k++) if (mine[j] && mine[j] === mine[k]) mine[j] = axpy(0, mine[j]!, mine[j]!);
      for (const x of new Set(gi)) if (x && !mine.includes(x)) x.dispose();
      mine.forEach((x, j) => { if (x) this.accumulate(n.inputs[j], x); });
    }
  }

  /** dL/dt after backward(): a watched leaf's or a retained tensor's; the caller takes it over. */
  take(t: Tensor): Tensor | undefined {
    const g = this.grads.get(t) ?? this.retainedGrads.get(t);
    this.grads.delete(t);
    this.retainedGrads.delete(t);
    return g;
  }

  /** Free every activation and gradient the tape still holds. */
  dispose(): void {
    for (const t of this.kept) t.dispose();
    for (const g of this.grads.values()) g.dispose();
    for (const g of this.retainedGrads.values()) g.dispose();
    this.kept.clear(); this.grads.clear(); this.retainedGrads.clear();
    this.nodes.length = 0;
  }

  private accumulate(t: Tensor, g: Tensor): void {
    const prev = this.grads.get(t);
    if (!prev) { this.grads.set(t, g); return; }
    this.grads.set(t, axpy(1, g, prev));
    prev.dispose(); g.dispose();
  }
}
