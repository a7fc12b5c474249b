// germ-js public API (isomorphic entry: browsers, Deno, workers). Node gets dist/node.js, which adds nothing
// browser-unsafe at import time: Node-only modules are imported lazily where they are used.
/**
 * Run GERM and DNABERT-2 anywhere JavaScript runs — Node, Deno, browsers, Web Workers, edge workers — straight
 * from the HuggingFace checkpoints, on WebGPU or WebAssembly. {@link GermModel} is the API: load a model with
 * {@link GermModel.fromPretrained}, then embed, classify, fill masks, measure outliers, apply or train LoRA
 * adapters, and quantize. The same module serves every runtime (Node resolves it to `dist/node.js`, which exports
 * exactly this); the op layer is a separate entry, `germ-js/ops`.
 *
 * Guides: [getting started](../docs/getting-started.md) (install, runtimes, bundlers, workers, edge),
 * [models and formats](../docs/models-and-formats.md), [performance](../docs/performance.md),
 * [architecture](../docs/architecture.md).
 *
 * @packageDocumentation
 * @module germ-js
 * @example
 * import { GermModel } from "germ-js";
 *
 * const model = await GermModel.fromPretrained("magicslabnu/GERM", { attnSoftmax: "softmax1" });
 * const [emb] = await model.embed(["ACGTAGCATCGGATCTATCTATCGACAC"]);
 * model.dispose();
 */
export { GermModel, LONG_SEQUENCE_TOKENS } from "./pipeline/germ-model.js";
export type { FromPretrainedOptions, Pooling, Classification, SequenceInput, AdapterOption, ModelInfo } from "./pipeline/germ-model.js";
export { aggregateWindows, DEFAULT_WINDOW_TOKENS } from "./pipeline/windows.js";
export type { WindowSpec, WindowEmbedding, LayerOption, TokenEmbeddings } from "./pipeline/windows.js";
export type { FineTuneData, FineTuneOptions, FineTuneRun } from "./pipeline/fine-tune.js";
export type { StepInfo, EvalInfo } from "./train/fine-tune.js";
export type { OutlierReport, OutlierSummary, LayerStats, TokenStats } from "./pipeline/outliers.js";
export type { GermConfig } from "./model/config.js";
export { DnaTokenizer } from "./tokenizer/tokenizer.js";
export type { SpecialIds, Encoding, EncodeOptions, BatchOptions, TokenOffset } from "./tokenizer/tokenizer.js";
export { env } from "./env.js";
export { enableRelaxedSimd } from "./backend/wasm/relaxed-flag.js";
export type { GermEnv, WasmModules } from "./env.js";
export type { LogLevel } from "./log.js";
export type { ModelSource } from "./io/checkpoint.js";
export { memorySource } from "./io/memory-source.js";
export type { RandomAccessFile } from "./io/random-access.js";
export type { FileValue } from "./io/memory-source.js";
export type { TensorMap, RawTensor, SafeDType } from "./io/raw-tensor.js";
export { readSafetensors, writeSafetensors } from "./io/safetensors.js";
export type { TensorToWrite } from "./io/safetensors.js";
export { readTorchBin } from "./io/torch-bin.js";
export { parseSequences } from "./io/fasta.js";
export { readSequences, readSequenceChunks } from "./io/seq-stream.js";
export type { ByteSource, ReadSequencesOptions } from "./io/seq-stream.js";
export type { GunzipImpl } from "./io/gzip.js";
export type { SequenceRecord, SequenceFormat } from "./io/fasta.js";
export type { BackendName } from "./contract/backend.js";
export type { SoftmaxKind } from "./contract/spec.js";
export * from "./errors.js";
