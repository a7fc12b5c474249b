// pytorch_model.bin reader (torch.save zip, torch >= 1.6): unpickles <prefix>/data.pkl with the restricted
// unpickler, resolves each storage to its <prefix>/data/<key> entry, and checks that every tensor is a contiguous,
// in-bounds slice of its storage. readTorchBin returns zero-copy views (tied tensors: views of the same bytes);
// openTorchBin reads the pickle now and each tensor's bytes when the loader asks (streamed loads).
import { FormatError } from "../errors.js";
import { PickleGlobal, preview, unpickle } from "./pickle.js";
import { clip, list, quote } from "./quote.js";
import { DTYPE_SIZE, numel, type SafeDType, type TensorIndex, type TensorMap } from "./raw-tensor.js";
import type { RandomAccessFile } from "./random-access.js";
import { openZip, readZip } from "./zip.js";

const STORAGE_DTYPE: Readonly<Record<string, SafeDType>> = {
  FloatStorage: "F32", HalfStorage: "F16", BFloat16Storage: "BF16", LongStorage: "I64",
  IntStorage: "I32", CharStorage: "I8", ByteStorage: "U8",
};

/** A persistent id resolved to its zip entry (`length`: the bytes its element count covers); dtype null = a storage
 *  type we cannot read (reported per tensor). A class, so a hostile pickle cannot forge one out of plain dicts or tuples. */
class StorageRef {
  constructor(readonly key: string, readonly entry: string, readonly type: string, readonly dtype: SafeDType | null, readonly length: number) {}
}
/** What _rebuild_tensor_v2 returns: a strided view of a storage, checked once its name is known. */
class TensorRef {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly size: number[], readonly stride: number[]) {}
}

/** One tensor of the state dict: its storage's entry and the byte range in it. */
interface TensorSpec { name: string; dtype: SafeDType; shape: number[]; entry: string; begin: number; end: number }

/**
 * Read a `torch.save(state_dict)` zip (pytorch_model.bin). Values are views into `bytes`; `file` only names errors.
 * The pickle inside is read by a restricted unpickler: only the tensor-rebuild globals are known, anything else is an
 * UnsafePickleError, and nothing in the file is ever executed.
 * @category Files & formats
 * @example
 * import { readFile } from "node:fs/promises";
 * const tensors = readTorchBin(await readFile("pytorch_model.bin"), "pytorch_model.bin");
 * tensors.get("cls.predictions.decoder.weight")!.bytes === tensors.get("bert.embeddings.word_embeddings.weight")!.bytes;
 */
export function readTorchBin(bytes: Uint8Array, file: string): TensorMap {
  refuseLegacy(bytes, file);
  const entries = readZip(bytes, file);
  // Storage data is read (and CRC-checked) as the pickle names it, so a damaged storage fails the parse.
  const specs = parseStateDict(entries, pklEntry(entries, file), (name) => entries.get(name)!.data(), file);
  const tensors: TensorMap = new Map();
  // One view per (entry, range), so tied tensors share the very same Uint8Array.
  const views = new Map<string, Uint8Array>();
  for (const t of specs) {
    const k = `${t.entry}:${t.begin}:${t.end}`;
    let v = views.get(k);
    if (!v) views.set(k, (v = entries.get(t.entry)!.data().subarray(t.begin, t.end)));
    tensors.set(t.name, { dtype: t.dtype, shape: t.shape, bytes: v });
  }
  return tensors;
}

/**
 * A pytorch_model.bin opened for streamed loading: the zip directory and the pickle are read and checked now, as
 * readTorchBin checks them; each tensor's storage entry is read (CRC-32 checked) when its `read()` is called.
 */
export async function openTorchBin(f: RandomAccessFile, file: string): Promise<TensorIndex> {
  refuseLegacy(await f.read(0, Math.min(2, f.size)), file);
  const entries = await openZip(f, file);
  const pkl = pklEntry(entries, file);
  const pklBytes = await entries.get(pkl)!.read();
  const specs = parseStateDict(entries, pkl, (name) => (name === pkl ? pklBytes : null), file);
  // Tensors that view one storage (tied weights, slices of a flat buffer) share one read of it while they are read in
  // a row; a tensor that is part of its storage gets a copy, so the storage's buffer is not kept alive by it.
  let last: { entry: string; bytes: Promise<Uint8Array> } | null = null;
  const storage = (entry: string): Promise<Uint8Array> => {
    if (last?.entry !== entry) last = { entry, bytes: entries.get(entry)!.read() };
    return last.bytes;
  };
  const tensors: TensorIndex = new Map();
  for (const t of specs) {
    tensors.set(t.name, {
      dtype: t.dtype, shape: t.shape, byteLength: t.end - t.begin,
      read: async () => {
        const bytes = await storage(t.entry);
        return t.begin === 0 && t.end === bytes.byteLength ? bytes : bytes.slice(t.begin, t.end);
      },
    });
  }
  return tensors;
}

function refuseLegacy(head: Uint8Array, file: string): void {
  if (head.byteLength >= 2 && head[0] === 0x80 && head[1] <= 5) {
    throw new FormatError(`${file}: legacy (pre-1.6, non-zip) torch.save format is not supported; re-save it with a newer torch or convert it to safetensors`);
  }
}

/** The archive's <prefix>/data.pkl (torch writes exactly one, prefix "archive" or the file stem; the shallowest wins). */
function pklEntry(entries: ReadonlyMap<string, unknown>, file: string): string {
  const pkls = [...entries.keys()].filter((n) => n === "data.pkl" || n.endsWith("/data.pkl"));
  pkls.sort((a, b) => a.split("/").length - b.split("/").length);
  if (pkls.length === 0) throw new FormatError(`${file}: zip has no <prefix>/data.pkl, so it is not a torch.save checkpoint (entries: ${[...entries.keys()].slice(0, 8).map((n) => quote(n)).join(", ")})`);
  return pkls[0]!;
}

/**
 * Unpickle the state dict (entry `pkl`) and check every tensor against its storage. `data(entry)` gives an entry's
 * bytes when the caller has them at hand (the pickle always; storages for readTorchBin, so they are checked here), or
 * null.
 */
function parseStateDict(entries: ReadonlyMap<string, { size: number }>, pkl: string, data: (entry: string) => Uint8Array | null, file: string): TensorSpec[] {
  const prefix = pkl.slice(0, -"data.pkl".length);
  const pklFile = `${file}:${clip(pkl)}`;
  // Names clipped in messages (the key is whatever string the pickle holds, the prefix whatever the zip names).
  const entryName = (key: string) => clip(`${prefix}data/${key}`, 100);

  const storages = new Map<string, StorageRef>();
  const root = unpickle(data(pkl)!, {
    file: pklFile,
    persistentLoad(pid, pos) {
      if (!Array.isArray(pid) || pid.length < 5 || pid[0] !== "storage" || !(pid[1] instanceof PickleGlobal) || typeof pid[2] !== "string") {
        throw new FormatError(`${pklFile}: persistent id at byte ${pos} is not ('storage', <StorageType>, key, location, numel)`);
      }
      const [, type, key, , count] = pid as [string, PickleGlobal, string, unknown, unknown];
      const seen = storages.get(key);
      if (seen) return seen;
      const dtype = type.module === "torch" ? STORAGE_DTYPE[type.name] ?? null : null;
      const name = `${prefix}data/${key}`;
      const entry = entries.get(name);
      if (!entry) throw new FormatError(`${file}: storage ${preview(key)} has no entry ${entryName(key)}`);
      const size = data(name)?.byteLength ?? entry.size;
      if (dtype && (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0 || count * DTYPE_SIZE[dtype] > size)) {
        throw new FormatError(`${file}: storage ${preview(key)} claims ${preview(count)} ${dtype} elements but ${entryName(key)} holds ${size} bytes`);
      }
      const ref = new StorageRef(key, name, type.qualified, dtype, dtype ? (count as number) * DTYPE_SIZE[dtype] : size);
      storages.set(key, ref);
      return ref;
    },
    callGlobal(fn, args, pos) {
      if (fn.qualified === "torch._utils._rebuild_tensor_v2") {
        const [storage, offset, size, stride] = args;
        if (!(storage instanceof StorageRef) || !isCount(offset) || !isCountList(size) || !isCountList(stride) || size.length !== stride.length) {
          throw new FormatError(`${pklFile}: _rebuild_tensor_v2 at byte ${pos} has malformed arguments`);
        }
        return new TensorRef(storage, offset, size.slice(), stride.slice());
      }
      if (fn.qualified === "torch._utils._rebuild_parameter") {
        if (!(args[0] instanceof TensorRef)) throw new FormatError(`${pklFile}: _rebuild_parameter at byte ${pos} wraps no tensor`);
        return args[0];
      }
      throw new FormatError(`${pklFile}: ${fn.qualified} at byte ${pos} cannot be called`);
    },
  });

  if (!(root instanceof Map)) throw new FormatError(`${pklFile}: top-level object is not a state dict`);
  const specs: TensorSpec[] = [];
  for (const [name, value] of root) {
    if (typeof name !== "string") throw new FormatError(`${pklFile}: state dict key ${preview(name)} is not a string`);
    if (!(value instanceof TensorRef)) throw new FormatError(`${file}: ${preview(name)} is not a tensor; only a flat state dict of tensors is supported`);
    const { storage, offset, size, stride } = value;
    const where = `${file}: tensor ${preview(name)}`;
    if (!storage.dtype) throw new FormatError(`${where}: storage type ${storage.type} is not supported (supported: ${Object.keys(STORAGE_DTYPE).join(", ")})`);
    const n = numel(size);
    // A product past 2^53 is not exact (and 0 · ∞ is NaN): no storage holds that many elements anyway.
    if (!Number.isSafeInteger(n)) throw new FormatError(`${where}: size [${list(size)}] has more than 2^53 elements`);
    let expect = 1;
    for (let d = size.length - 1; d >= 0; d--) {
      // Strides of size-1 dims are arbitrary in torch; only dims that step through memory must be row-major.
      if (size[d] !== 1 && stride[d] !== expect) {
        throw new FormatError(`${where}: size [${list(size)}] stride [${list(stride)}] is not contiguous; save it with .contiguous()`);
      }
      expect *= size[d];
    }
    const item = DTYPE_SIZE[storage.dtype];
    const begin = offset * item, end = begin + n * item;
    if (end > storage.length) {
      throw new FormatError(`${where}: offset ${offset} + ${n} elements runs past storage ${preview(storage.key)} (${storage.length / item} elements)`);
    }
    specs.push({ name, dtype: storage.dtype, shape: size, entry: storage.entry, begin, end });
  }
  return specs;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}
function isCountList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every(isCount);
}
