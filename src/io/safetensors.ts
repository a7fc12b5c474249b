// safetensors reader and writer: an 8-byte little-endian header length, a JSON header, then raw tensor bytes.
// The reader validates every offset before handing out zero-copy views, so a hostile file fails with a
// FormatError naming the file and tensor instead of reading out of bounds.
import { FormatError, ShapeError } from "../errors.js";
import { clip, list, preview, quote } from "./quote.js";
import { DTYPE_SIZE, isSafeDType, numel, type SafeDType, type TensorIndex, type TensorMap } from "./raw-tensor.js";
import type { RandomAccessFile } from "./random-access.js";

/** Largest header the format allows (the Rust reference rejects more than 100 MB). */
const MAX_HEADER = 100_000_000;

/**
 * Parse a safetensors file: its tensors, views into `bytes` (no copy), and its `__metadata__` strings. `file` only
 * names errors. Every offset is checked first: a damaged or hostile file is a FormatError naming file and tensor.
 * @category Files & formats
 * @example
 * const url = "https://huggingface.co/zhihan1996/DNABERT-2-117M/resolve/main/model.safetensors";
 * const { tensors, metadata } = readSafetensors(new Uint8Array(await (await fetch(url)).arrayBuffer()), url);
 * tensors.get("bert.embeddings.word_embeddings.weight")?.shape; // [4096, 768]
 */
export function readSafetensors(bytes: Uint8Array, file: string): {
  /** The tensors, in file order. */
  tensors: TensorMap;
  /** The header's `__metadata__` ({} when it has none). */
  metadata: Record<string, string>;
} {
  const headerLen = headerLength(bytes.subarray(0, 8), bytes.byteLength, file);
  const { entries, metadata } = parseHeader(bytes.subarray(8, 8 + headerLen), bytes.byteLength - 8 - headerLen, file);
  const data = bytes.subarray(8 + headerLen);
  const tensors: TensorMap = new Map();
  for (const e of entries) tensors.set(e.name, { dtype: e.dtype, shape: e.shape, bytes: data.subarray(e.begin, e.end) });
  return { tensors, metadata };
}

/**
 * A safetensors file opened for streamed loading: the header is read and checked exactly as readSafetensors checks
 * it, each tensor's bytes are read from `f` only when its `read()` is called.
 */
export async function openSafetensors(f: RandomAccessFile, file: string): Promise<{ tensors: TensorIndex; metadata: Record<string, string> }> {
  const headerLen = headerLength(await f.read(0, Math.min(8, f.size)), f.size, file);
  const { entries, metadata } = parseHeader(await f.read(8, headerLen), f.size - 8 - headerLen, file);
  const base = 8 + headerLen;
  const tensors: TensorIndex = new Map();
  for (const e of entries) {
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, byteLength: e.end - e.begin, read: () => f.read(base + e.begin, e.end - e.begin) });
  }
  return { tensors, metadata };
}

/** The header length from the first 8 bytes of a `size`-byte file, checked against the file and the format's limit. */
function headerLength(first8: Uint8Array, size: number, file: string): number {
  if (size < 8 || first8.byteLength < 8) throw new FormatError(`${file}: ${size} bytes is too short for a safetensors file (needs an 8-byte header length)`);
  const dv = new DataView(first8.buffer, first8.byteOffset, 8);
  const headerLen = dv.getUint32(4, true) * 2 ** 32 + dv.getUint32(0, true);
  if (headerLen > size - 8 || headerLen > MAX_HEADER) {
    throw new FormatError(`${file}: safetensors header length ${headerLen} runs past the end of the ${size}-byte file`);
  }
  return headerLen;
}

interface HeaderEntry { name: string; dtype: SafeDType; shape: number[]; begin: number; end: number }

/** Parse and check a header against a `dataLength`-byte data section: entries in file order, and `__metadata__`. */
function parseHeader(headerBytes: Uint8Array, dataLength: number, file: string): { entries: HeaderEntry[]; metadata: Record<string, string> } {
  let header: unknown, text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
    header = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`${file}: safetensors header is not valid JSON (${clip((e as Error).message, 200)})`);
  }
  if (!isPlainObject(header)) throw new FormatError(`${file}: safetensors header must be a JSON object`);
  // JSON.parse keeps the last of two equal keys; the reference reader may keep either. Neither is safe to load.
  const dup = duplicateKey(text);
  if (dup !== undefined) throw new FormatError(`${file}: safetensors header holds the key ${quote(dup)} twice${dup === "__metadata__" ? "" : " (in one object)"}`);

  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (!isPlainObject(info)) throw new FormatError(`${file}: __metadata__ must be an object of strings`);
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== "string") throw new FormatError(`${file}: __metadata__[${quote(k)}] must be a string, got ${preview(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    const where = `${file}: tensor ${quote(name, 100)}`;
    if (!isPlainObject(info)) throw new FormatError(`${where}: header entry must be an object`);
    const { dtype, shape, data_offsets: off } = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!isSafeDType(dtype)) throw new FormatError(`${where}: unknown or unsupported dtype ${preview(dtype)} (supported: ${Object.keys(DTYPE_SIZE).join(", ")})`);
    if (!Array.isArray(shape) || !shape.every(isCount)) throw new FormatError(`${where}: shape ${Array.isArray(shape) ? `[${list(shape)}]` : preview(shape)} must be a list of non-negative integers`);
    if (!Array.isArray(off) || off.length !== 2 || !off.every(isCount)) throw new FormatError(`${where}: data_offsets ${Array.isArray(off) ? `[${list(off)}]` : preview(off)} must be [begin, end]`);
    const [begin, end] = off as [number, number];
    if (begin > end) throw new FormatError(`${where}: data_offsets begin ${begin} > end ${end}`);
    if (end > dataLength) throw new FormatError(`${where}: data_offsets [${begin}, ${end}] out of range (data section is ${dataLength} bytes)`);
    const want = numel(shape) * DTYPE_SIZE[dtype];
    if (want !== end - begin) throw new FormatError(`${where}: ${dtype} [${list(shape)}] needs ${want} bytes but data_offsets span ${end - begin}`);
    entries.push({ name, dtype, shape: shape.slice(), begin, end });
  }
  // The tensors must tile the data section exactly, as the reference implementation requires: a gap, an overlap
  // (two tensors aliasing bytes) or trailing bytes means a forged or damaged file — a header length one byte off
  // would otherwise shift every tensor by a byte and load an all-NaN model without a word.
  const spans = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const [i, s] of spans.entries()) {
    if (s.begin !== at) {
      const prev = spans[i - 1];
      throw new FormatError(s.begin < at
        ? `${file}: tensor ${quote(s.name, 100)} bytes [${s.begin}, ${s.end}] overlap tensor ${quote(prev.name, 100)} [${prev.begin}, ${prev.end}]`
        : `${file}: data section has ${s.begin - at} unused bytes at [${at}, ${s.begin}) before tensor ${quote(s.name, 100)} (tensors must tile it exactly)`);
    }
    at = s.end;
  }
  if (at !== dataLength) throw new FormatError(`${file}: data section has ${dataLength - at} bytes after the last tensor (at ${at} of ${dataLength}); tensors must tile it exactly`);
  return { entries, metadata };
}

/**
 * Input to writeSafetensors: `data` holds exactly numel(shape)·itemsize bytes, little-endian.
 * @category Files & formats
 */
export interface TensorToWrite {
  /** Element type of `data`. */
  dtype: SafeDType;
  /** Dimensions, outermost first. */
  shape: number[];
  /** The elements, row-major (any typed array or DataView over them). */
  data: ArrayBufferView;
}

/**
 * Serialize tensors as safetensors. Data is laid out widest dtype first so every tensor stays aligned to
 * its element size (the header is padded to 8 bytes), which lets readers take typed-array views.
 * @category Files & formats
 * @example
 * const bytes = writeSafetensors(new Map([["w", { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) }]]));
 */
export function writeSafetensors(tensors: Map<string, TensorToWrite>, metadata?: Record<string, string>): Uint8Array {
  const items = [...tensors].map(([name, t]) => {
    if (name === "__metadata__") throw new ShapeError(`writeSafetensors: "__metadata__" is reserved and cannot name a tensor`);
    if (!isSafeDType(t.dtype)) throw new ShapeError(`writeSafetensors: tensor "${name}": unknown dtype ${String(t.dtype)}`);
    if (!t.shape.every(isCount)) throw new ShapeError(`writeSafetensors: tensor "${name}": invalid shape ${JSON.stringify(t.shape)}`);
    const want = numel(t.shape) * DTYPE_SIZE[t.dtype];
    if (t.data.byteLength !== want) {
      throw new ShapeError(`writeSafetensors: tensor "${name}": ${t.data.byteLength} bytes for ${t.dtype} [${t.shape.join(", ")}] (want ${want})`);
    }
    return { name, t, bytes: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) };
  });
  const layout = items.slice().sort((a, b) => DTYPE_SIZE[b.t.dtype] - DTYPE_SIZE[a.t.dtype]); // stable sort
  const offsets = new Map<string, [number, number]>();
  let pos = 0;
  for (const it of layout) {
    offsets.set(it.name, [pos, pos + it.bytes.byteLength]);
    pos += it.bytes.byteLength;
  }
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  for (const it of items) header[it.name] = { dtype: it.t.dtype, shape: it.t.shape, data_offsets: offsets.get(it.name) };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + padded + pos);
  new DataView(out.buffer).setUint32(0, padded, true); // high 32 bits stay 0: headers are < 100 MB
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + padded); // spaces: still valid JSON
  for (const it of layout) out.set(it.bytes, 8 + padded + offsets.get(it.name)![0]);
  return out;
}

/**
 * The first key that appears twice in one object at the top level of `json` (tensor names) or one level down (a
 * tensor's fields, __metadata__), or undefined. `json` is valid JSON (JSON.parse accepted it); one linear scan.
 */
function duplicateKey(json: string): string | undefined {
  // Per open container: a key set for objects of depth ≤ 2, null for deeper objects, false for arrays.
  const stack: (Set<string> | null | false)[] = [];
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22) { // a string: find its closing quote (one not escaped by an odd run of backslashes)
      let j = i + 1;
      for (;;) {
        j = json.indexOf('"', j);
        let k = j - 1;
        while (json.charCodeAt(k) === 0x5c) k--;
        if ((j - 1 - k) % 2 === 0) break;
        j++;
      }
      const keys = stack[stack.length - 1];
      if (expectKey && keys) {
        const raw = json.slice(i + 1, j);
        const key = raw.includes("\\") ? (JSON.parse(json.slice(i, j + 1)) as string) : raw;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      expectKey = false;
      i = j;
    } else if (c === 0x7b) { stack.push(stack.length < 2 ? new Set() : null); expectKey = true; }
    else if (c === 0x5b) { stack.push(false); expectKey = false; }
    else if (c === 0x7d || c === 0x5d) stack.pop();
    else if (c === 0x2c) expectKey = stack[stack.length - 1] !== false;
  }
  return undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}
