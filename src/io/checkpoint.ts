// Finds and reads a model's weights from a ModelSource (local dir, URL or hub, implemented elsewhere):
// model.safetensors, its sharded index, pytorch_model.bin, or its sharded index, in that order of preference.
import { FormatError, MissingTensorError } from "../errors.js";
import type { TensorMap } from "./raw-tensor.js";
import { readSafetensors } from "./safetensors.js";
import { readTorchBin } from "./torch-bin.js";
import { preview, quote } from "./quote.js";

/**
 * Where a model's files come from: pass one to {@link GermModel.fromPretrained} (or loadAdapter) to load from
 * anything — bytes bundled with an edge worker, an IndexedDB store, a zip, a custom server. `get` resolves to null
 * when the file is absent (other failures throw).
 * @category Files & formats
 * @example
 * const files = new Map<string, Uint8Array>();   // "config.json", "tokenizer.json", "model.safetensors" → bytes
 * const src: ModelSource = { location: "bundled", get: async (file) => files.get(file) ?? null };
 * const model = await GermModel.fromPretrained(src);
 */
export interface ModelSource {
  /** Names the source in messages and progress ("bundled/model.safetensors: …"); a URL or a path. */
  readonly location: string;
  /** The bytes of `file` (a name such as "config.json" or a shard's name), or null when there is no such file. */
  get(file: string): Promise<Uint8Array | null>;
}

type Reader = (bytes: Uint8Array, file: string) => { tensors: TensorMap; metadata: Record<string, string> };
const readST: Reader = (b, f) => readSafetensors(b, f);
const readBin: Reader = (b, f) => ({ tensors: readTorchBin(b, f), metadata: {} });

/** Looked for in this order; the first present wins. */
const CANDIDATES: { file: string; read: Reader; sharded: boolean }[] = [
  { file: "model.safetensors", read: readST, sharded: false },
  { file: "model.safetensors.index.json", read: readST, sharded: true },
  { file: "pytorch_model.bin", read: readBin, sharded: false },
  { file: "pytorch_model.bin.index.json", read: readBin, sharded: true },
];

/**
 * Load the weights of a model as raw tensors. `file` says which candidate was used; `metadata` is the safetensors
 * `__metadata__` (of every shard, merged; empty for .bin).
 * @example
 * const { tensors, file } = await loadCheckpoint({ location: "mem", get: async (f) => files[f] ?? null });
 */
export async function loadCheckpoint(src: ModelSource): Promise<{ tensors: TensorMap; file: string; metadata: Record<string, string> }> {
  for (const c of CANDIDATES) {
    const bytes = await src.get(c.file);
    if (bytes === null) continue;
    const { tensors, metadata } = c.sharded ? await readSharded(src, c.file, bytes, c.read) : c.read(bytes, pathIn(src, c.file));
    return { tensors, file: c.file, metadata };
  }
  throw new FormatError(`${src.location}: no checkpoint found; looked for ${CANDIDATES.map((c) => c.file).join(", ")}`);
}

async function readSharded(src: ModelSource, indexFile: string, bytes: Uint8Array, read: Reader): Promise<ReturnType<Reader>> {
  const where = pathIn(src, indexFile);
  let index: unknown;
  try {
    index = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new FormatError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== "object" || weightMap === null || Array.isArray(weightMap)) throw new FormatError(`${where}: missing "weight_map" object`);
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(weightMap)) {
    // The index names sibling files only: a path here could make a local-dir source read outside the model.
    if (typeof shard !== "string" || !/^[^/\\:]+$/.test(shard) || shard === "." || shard === "..") {
      throw new FormatError(`${where}: weight_map[${quote(name)}] = ${preview(shard)} is not a plain file name`);
    }
    const names = byShard.get(shard) ?? [];
    names.push(name);
    byShard.set(shard, names);
  }
  const tensors: TensorMap = new Map();
  const metadata: Record<string, string> = {};
  for (const [shard, names] of byShard) {
    const shardBytes = await src.get(shard);
    if (shardBytes === null) {
      throw new MissingTensorError(`${where}: shard ${quote(shard)} is absent at ${src.location}; it holds ${names.length} tensor(s), e.g. ${quote(names[0]!)}`);
    }
    const { tensors: part, metadata: meta } = read(shardBytes, pathIn(src, shard));
    Object.assign(metadata, meta);
    for (const name of names) {
      if (!part.has(name)) throw new MissingTensorError(`${where}: tensor ${quote(name)} is not in its shard ${quote(shard)}`);
    }
    for (const [name, t] of part) {
      if (tensors.has(name)) throw new FormatError(`${pathIn(src, shard)}: tensor ${quote(name)} also appears in another shard`);
      tensors.set(name, t);
    }
  }
  return { tensors, metadata };
}

function pathIn(src: ModelSource, file: string): string {
  return src.location.endsWith("/") ? src.location + file : `${src.location}/${file}`;
}
