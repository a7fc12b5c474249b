// germ-js/ops: the op layer for advanced users (custom graphs, new kernels, benchmarks). Not needed to run models:
// GermModel is the main API. Everything here is stable within a minor version, but lower-level than the model API.
/**
 * Internals (`germ-js/ops`): the op layer beneath {@link germ-js!GermModel} — backends, the op contract (OpArgs,
 * BufferId, weight formats), Tensors and Weights, the ops themselves, and quantized-checkpoint writing. Not needed
 * to run models; for custom graphs, new kernels and benchmarks. [Architecture](../docs/architecture.md) explains
 * the layers and how to add an op.
 *
 * @packageDocumentation
 * @module germ-js/ops
 * @example
 * import { createBackend, Tensor, Weight, linear } from "germ-js/ops";
 *
 * const backend = await createBackend("wasm");
 * const x = Tensor.from(backend, new Float32Array([1, 2, 3]), [1, 3]);
 * const w = Weight.from(backend, new Float32Array([1, 0, 0, 0, 1, 0]), [2, 3]);
 * console.log(await linear(x, w).data()); // Float32Array [1, 2]
 * backend.dispose();
 */
export { createBackend, selectBackend, unavailableReason } from "./backend/create.js";
export type { Skipped } from "./backend/create.js";
export type { Backend, BackendName, BackendCaps, BackendOptions, BackendFactory, BufferId, Support } from "./contract/backend.js";
export { OP_NAMES, needsOf, opFlops } from "./contract/spec.js";
export type { OpArgs, OpName, OpNeeds, OpRequirement, SoftmaxKind, UnaryKind, WeightArg } from "./contract/spec.js";
export { FORMATS, isFormatName, quantizeRows, Q4_GROUP, Q4_GROUPS, encodeQ4, decodeQ4, expandQ4Scales } from "./contract/formats.js";
export type { FormatName, WeightFormat, EncodedWeight } from "./contract/formats.js";
export { SeqIndex } from "./contract/seq.js";
export { alibiSlopes, erf, geluErf } from "./contract/math.js";
export { Tensor } from "./tensor/tensor.js";
export { Weight } from "./tensor/weight.js";
export { attention, axpy, fakeQuant, gather, gluGelu, layerNorm, linear, loraAdd, meanPool, rowStats, unary } from "./ops/ops.js";
export type { AttentionOptions } from "./ops/ops.js";
export { quantizeCheckpoint, checkpointFormat } from "./quant/checkpoint.js";
export type { QuantizeCheckpointOptions } from "./quant/checkpoint.js";
