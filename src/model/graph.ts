// The ops the encoder graph is written in. Inference runs them as they are and frees each intermediate when done;
// fine-tuning (train/graph.ts) runs the same graph through versions that record a tape and keep what the backward
// pass needs. One graph, two ways to run it: the encoder is never written twice.
import type { Tensor } from "../tensor/tensor.js";
import { attention, gluGelu, layerNorm, type AttentionOptions } from "../ops/ops.js";
import { project, type LinearWeights, type LoraSpan } from "./project.js";

export interface Graph {
  project(x: Tensor, lin: LinearWeights, spans?: readonly LoraSpan[]): Tensor;
  attention(qkv: Tensor, o: AttentionOptions): Tensor;
  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number, residual?: Tensor): Tensor;
  gluGelu(x: Tensor): Tensor;
  /**
   * Dropout at a named site ("embeddings", "layer.3.attention" after attention.output.dense, "layer.3.mlp" on the
   * GLU output before mlp.wo, "classifier"): inference returns x itself; training may return a new tensor, and then
   * releases x itself.
   */
  dropout(x: Tensor, site: string): Tensor;
  /** The encoder is done with `t`: inference frees it; training keeps it while the tape needs it. */
  release(t: Tensor): void;
  /** Training hooks: the embedding output and each layer's attention / layer outputs (activation gradients). */
  onEmbeddings?(x: Tensor): void;
  onLayer?(layer: number, attentionOut: Tensor, layerOut: Tensor): void;
}

export const INFERENCE: Graph = { project, attention, layerNorm, gluGelu, dropout: (x) => x, release: (t) => t.dispose() };
