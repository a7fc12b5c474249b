// What a model will ask of its backend, declared before any weight is uploaded: every op with its compile-time
// facts (weight format, softmax, head size). fromPretrained checks them all at load (backend/create.ts selectBackend).
import type { FormatName } from "../contract/formats.js";
import type { OpRequirement } from "../contract/spec.js";
import type { GermConfig } from "./config.js";

/**
 * The requirements of the encoder, its heads and the outlier statistics, with projection weights in `format`
 * (the tied MLM decoder always reads the f32 word embeddings).
 * @example
 * backend.supports("linear", { format: "f16" }); // what selectBackend asks for each entry
 */
export function modelRequirements(cfg: GermConfig, format: FormatName, simulate = false): OpRequirement[] {
  const formats: FormatName[] = format === "f32" ? ["f32"] : [format, "f32"];
  return [
    ...(simulate ? [{ op: "fakeQuant", needs: {} } as OpRequirement] : []),
    ...formats.map((f): OpRequirement => ({ op: "linear", needs: { format: f } })),
    { op: "gather", needs: {} },
    { op: "layerNorm", needs: {} },
    { op: "attention", needs: { softmax: cfg.attnSoftmax, headDim: cfg.hiddenSize / cfg.numAttentionHeads } },
    { op: "gluGelu", needs: {} },
    { op: "meanPool", needs: {} },
    { op: "unary", needs: { kind: "tanh" } },
    { op: "unary", needs: { kind: "gelu" } },
    { op: "rowStats", needs: {} },
  ];
}
