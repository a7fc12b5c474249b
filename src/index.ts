// germ-js public API (isomorphic entry: browsers, Deno, workers). Node gets dist/node.js, which adds nothing
// browser-unsafe at import time: Node-only modules are imported lazily where they are used.
export { GermModel } from "./pipeline/germ-model.js";
export type { FromPretrainedOptions, Pooling, Classification } from "./pipeline/germ-model.js";
export type { GermConfig } from "./model/config.js";
export { DnaTokenizer } from "./tokenizer/tokenizer.js";
export { env } from "./env.js";
export type { ModelSource } from "./io/checkpoint.js";
export { readSafetensors, writeSafetensors } from "./io/safetensors.js";
export { readTorchBin } from "./io/torch-bin.js";
export { parseSequences } from "./io/fasta.js";
export { createBackend } from "./backend/backend.js";
export type { Backend, BackendName, BackendCaps } from "./backend/backend.js";
export * from "./errors.js";
