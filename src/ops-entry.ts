// germ-js/ops: the op layer for advanced users (custom graphs, new kernels, benchmarks). Not needed to run models:
// GermModel is the main API. Everything here is stable within a minor version, but lower-level than the model API.
export { createBackend, selectBackend, unavailableReason } from "./backend/create.js";
export type { Skipped } from "./backend/create.js";
export type { Backend, BackendName, BackendCaps, BackendOptions, BackendFactory, BufferId, Support } from "./contract/backend.js";
export { OP_NAMES, needsOf, opFlops } from "./contract/spec.js";
export type { OpArgs, OpName, OpNeeds, OpRequirement, SoftmaxKind, UnaryKind, WeightArg } from "./contract/spec.js";
export { FORMATS, isFormatName, quantizeRows, Q4_GROUP } from "./contract/formats.js";
export type { FormatName, WeightFormat, EncodedWeight } from "./contract/formats.js";
export { SeqIndex } from "./contract/seq.js";
export { alibiSlopes, erf, geluErf } from "./contract/math.js";
export { Tensor } from "./tensor/tensor.js";
export { Weight } from "./tensor/weight.js";
export { attention, axpy, fakeQuant, gather, gluGelu, layerNorm, linear, loraAdd, meanPool, rowStats, unary } from "./ops/ops.js";
export type { AttentionOptions } from "./ops/ops.js";
export { quantizeCheckpoint, checkpointFormat } from "./quant/checkpoint.js";
