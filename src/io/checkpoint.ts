// Finds and reads a model's weights from a ModelSource (local dir, URL or hub, implemented elsewhere):
// model.safetensors, its sharded index, pytorch_model.bin, or its sharded index, in that order of preference.
import { FormatError, MissingTensorError } from "../errors.js";
import { indexOf, type TensorIndex, type TensorMap } from "./raw-tensor.js";
import type { RandomAccessFile } from "./random-access.js";
import { openSafetensors, readSafetensors } from "./safetensors.js";
import { openTorchBin, readTorchBin } from "./torch-bin.js";
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
  /**
   * Optional: `file` opened for reads at any offset, or null when there is no such file. Sources that have it load
   * checkpoints tensor by tensor (peak memory ≈ the loaded model, not model + file; files past 4 GiB).
   */
  open?(file: string): Promise<RandomAccessFile | null>;
}

type Reader = (bytes: Uint8Array, file: string) => { tensors: TensorMap; metadata: Record<string, string> };
type Opener = (f: RandomAccessFile, file: string) => Promise<{ tensors: TensorIndex; metadata: Record<string, string> }>;
const readST: Reader = (b, f) => readSafetensors(b, f);
const readBin: Reader = (b, f) => ({ tensors: readTorchBin(b, f), metadata: {} });
const openBin: Opener = async (b, f) => ({ tensors: await openTorchBin(b, f), metadata: {} });

/** Looked for in this order; the first present wins. `open`: the format streams from a RandomAccessFile. */
interface Candidate { file: string; read: Reader; open?: Opener; sharded: boolean }
const CANDIDATES: Candidate[] = [
  { file: "model.safetensors", read: readST, open: openSafetensors, sharded: false },
  { file: "model.safetensors.index.json", read: readST, open: openSafetensors, sharded: true },
  { file: "pytorch_model.bin", read: readBin, open: openBin, sharded: false },
  { file: "pytorch_model.bin.index.json", read: readBin, open: openBin, sharded: true },
];

/**
 * A checkpoint opened for loading: its tensors by name (each read on demand), the candidate file used, the
 * safetensors `__metadata__` (every shard's, merged; empty for .bin), and close() to release the files it holds.
 * @category Files & formats
 */
export interface OpenedCheckpoint {
  tensors: TensorIndex;
  file: string;
  metadata: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Open a model's weights for loading tensor by tensor. From a source with `open` (local directories, Blobs, memory)
 * both formats stream: safetensors' header, or .bin's zip directory and pickle, is read now and each tensor when asked.
 * Sources with only `get` are read whole, then indexed.
 * @example
 * const ck = await openCheckpoint(src);
 * try { for (const [name, t] of ck.tensors) console.log(name, t.shape, (await t.read()).byteLength); } finally { await ck.close(); }
 */
export async function openCheckpoint(src: ModelSource): Promise<OpenedCheckpoint> {
  const files: RandomAccessFile[] = [];
  const close = async () => { for (const f of files.splice(0)) await f.close(); };
  try {
    for (const c of CANDIDATES) {
      if (c.sharded) {
        const bytes = await src.get(c.file);
        if (bytes === null) continue;
        const { tensors, metadata } = await openSharded(src, c, bytes, files);
        return { tensors, file: c.file, metadata, close };
      }
      const part = await openPart(src, c, c.file, files);
      if (part === null) continue;
      return { tensors: part.tensors, file: c.file, metadata: part.metadata, close };
    }
  } catch (e) {
    await close();
    throw e;
  }
  throw new FormatError(`${src.location}: no checkpoint found; looked for ${CANDIDATES.map((c) => c.file).join(", ")}`);
}

/**
 * Load the weights of a model as raw tensors, every tensor's bytes in memory. `file` says which candidate was used;
 * `metadata` is the safetensors `__metadata__` (of every shard, merged; empty for .bin).
 * @example
 * const { tensors, file } = await loadCheckpoint({ location: "mem", get: async (f) => files[f] ?? null });
 */
export async function loadCheckpoint(src: ModelSource): Promise<{ tensors: TensorMap; file: string; metadata: Record<string, string> }> {
  const ck = await openCheckpoint(src);
  try {
    const tensors: TensorMap = new Map();
    for (const [name, t] of ck.tensors) tensors.set(name, { dtype: t.dtype, shape: t.shape, bytes: await t.read() });
    return { tensors, file: ck.file, metadata: ck.metadata };
  } finally {
    await ck.close();
  }
}

/** One checkpoint file: streamed when both the format and the source can, else read whole; null when absent. */
async function openPart(src: ModelSource, c: Candidate, file: string, files: RandomAccessFile[]): Promise<{ tensors: TensorIndex; metadata: Record<string, string> } | null> {
  if (c.open && src.open) {
    const f = await src.open(file);
    if (f === null) return null;
    files.push(f);
    return c.open(f, pathIn(src, file));
  }
  const bytes = await src.get(file);
  if (bytes === null) return null;
  const { tensors, metadata } = c.read(bytes, pathIn(src, file));
  return { tensors: indexOf(tensors), metadata };
}

async function openSharded(src: ModelSource, c: Candidate, bytes: Uint8Array, files: RandomAccessFile[]): Promise<{ tensors: TensorIndex; metadata: Record<string, string> }> {
  const where = pathIn(src, c.file);
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
  const tensors: TensorIndex = new Map();
  const metadata: Record<string, string> = {};
  for (const [shard, names] of byShard) {
    const opened = await openPart(src, c, shard, files);
    if (opened === null) {
      throw new MissingTensorError(`${where}: shard ${quote(shard)} is absent at ${src.location}; it holds ${names.length} tensor(s), e.g. ${quote(names[0]!)}`);
    }
    const { tensors: part, metadata: meta } = opened;
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
