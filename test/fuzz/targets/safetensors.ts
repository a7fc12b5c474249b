// Fuzz target: readSafetensors. Seeds: the fixtures' model.safetensors and small random files. Mutations: the header
// JSON (dtypes, shapes, offsets, duplicate keys, deep nesting, __metadata__), its length field, and the bytes of the
// whole file (flips, truncation, extension).
// Oracle: an accepted file must (1) pass a strict reference reader (ref/json.ts keeps duplicate keys; exact tiling of
// the data section; the same dtype/shape/offset rules) and yield the very bytes that reader finds for every tensor,
// (2) re-serialize through writeSafetensors to the same tensors and metadata, and (3) read the same through the streamed
// reader (openSafetensors), which must also refuse what readSafetensors refuses, with the same message.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { openSafetensors, readSafetensors, writeSafetensors, type TensorToWrite } from "../../../src/io/safetensors.js";
import { bytesFile } from "../../../src/io/random-access.js";
import { DTYPE_SIZE, isSafeDType, numel, type SafeDType } from "../../../src/io/raw-tensor.js";
import { fixturesDir } from "../../helpers/fixtures.js";
import { JsonDoc, mutateJson, type Json } from "../json-mutate.js";
import { concatBytes, mutateBytes, putLE, type Rand } from "../rand.js";
import { parseRefJson, RefObject } from "../ref/json.js";
import { SilentWrong, type Target } from "../target.js";

const seeds: Uint8Array[] = [];
const DTYPES = Object.keys(DTYPE_SIZE) as SafeDType[];

function randomFile(r: Rand): Uint8Array {
  const m = new Map<string, TensorToWrite>();
  for (let k = r.range(0, 5); k > 0; k--) {
    const dtype = r.pick(DTYPES), shape = Array.from({ length: r.range(0, 3) }, () => r.range(0, 5));
    m.set(r.pick(["w", "b", "layer.0.weight", "x", "0", "__proto__", "é"]) + k, { dtype, shape, data: r.bytes(numel(shape) * DTYPE_SIZE[dtype]) });
  }
  return writeSafetensors(m, r.chance(0.3) ? { format: "pt", k: "v" } : undefined);
}

function split(b: Uint8Array): { header: Json; data: Uint8Array } {
  const n = new DataView(b.buffer, b.byteOffset).getUint32(0, true);
  return { header: JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n))) as Json, data: b.subarray(8 + n) };
}

/** Header edits that keep the file plausible (and sometimes valid): shifted or swapped offsets, dtype swaps, reshapes. */
function semantic(r: Rand, doc: JsonDoc): string {
  const h = doc.value as Record<string, Json>;
  if (typeof h !== "object" || h === null || Array.isArray(h)) return "none";
  const names = Object.keys(h).filter((k) => k !== "__metadata__");
  if (names.length === 0) return "none";
  const a = r.pick(names);
  if (typeof h[a] !== "object" || h[a] === null) return "none";
  const ta = { ...(h[a] as Record<string, Json>) }, off = ta.data_offsets as number[];
  if (!Array.isArray(off) || typeof off[0] !== "number" || typeof off[1] !== "number" || !Array.isArray(ta.shape)) return "none";
  switch (r.int(5)) {
    case 0: { const d = r.pick([1, -1, 2, 4, -4, 8]); ta.data_offsets = [off[0]! + d, off[1]! + d]; h[a] = ta; return `shift ${a} ${d}`; }
    case 1: { const b = r.pick(names), tb = { ...(h[b] as Record<string, Json>) }; [ta.data_offsets, tb.data_offsets] = [tb.data_offsets!, ta.data_offsets!]; h[a] = ta; h[b] = tb; return `swap offsets ${a} ${b}`; }
    case 2: { const same = DTYPES.filter((t) => DTYPE_SIZE[t] === DTYPE_SIZE[ta.dtype as SafeDType]); ta.dtype = r.pick(same); h[a] = ta; return `dtype ${a}`; }
    case 3: { ta.shape = [numel(ta.shape as number[])]; h[a] = ta; return `reshape ${a}`; }
    default: { const m = doc.raw(JSON.stringify(a)); h[m] = { ...ta, dtype: r.pick(DTYPES) }; return `duplicate ${a}`; }
  }
}

function make(r: Rand): { bytes: Uint8Array; what: string[] } {
  const fixture = seeds.length > 0 && r.chance(0.3);
  let bytes = fixture ? r.pick(seeds) : randomFile(r);
  const what = [fixture ? "fixture" : "random"];
  if (r.chance(0.75)) {
    const { header, data } = split(bytes);
    const doc = new JsonDoc(header);
    doc.value = { ...(doc.value as Record<string, Json>) };
    for (let k = r.range(1, 3); k > 0; k--) what.push(r.chance(0.4) ? semantic(r, doc) : mutateJson(r, doc));
    let text: Uint8Array = new TextEncoder().encode(doc.serialize());
    if (r.chance(0.2)) { const m = mutateBytes(r, text); text = m.bytes; what.push(`header ${m.what}`); }
    const head = new Uint8Array(8);
    const len = r.chance(0.85) ? text.length : r.pick([text.length + 1, text.length - 1, text.length + 8, 0, 2 ** 32, 2 ** 53, 100_000_001]);
    putLE(head, 0, 8, len);
    if (len !== text.length) what.push(`headerLen ${len}`);
    bytes = concatBytes([head, text, data]);
  }
  for (let k = r.chance(0.3) ? r.range(1, 3) : 0; k > 0; k--) { const m = mutateBytes(r, bytes); bytes = m.bytes; what.push(m.what); }
  return { bytes, what };
}

interface RefTensor { dtype: SafeDType; shape: number[]; begin: number; end: number }

/** The strict reading: tensors with absolute byte ranges, or why the file is not a valid safetensors file. */
function reference(b: Uint8Array): Map<string, RefTensor> | string {
  if (b.length < 8) return "short";
  const n = new DataView(b.buffer, b.byteOffset).getUint32(0, true) + new DataView(b.buffer, b.byteOffset).getUint32(4, true) * 2 ** 32;
  if (n > b.length - 8 || n > 100_000_000) return "header length";
  let h;
  try { h = parseRefJson(new TextDecoder("utf-8", { fatal: true }).decode(b.subarray(8, 8 + n))); } catch { return "header JSON"; }
  if (!(h instanceof RefObject)) return "header not an object";
  if (h.duplicate() !== undefined) return `duplicate key ${h.duplicate()}`;
  const base = 8 + n, dataLen = b.length - base;
  const out = new Map<string, RefTensor>();
  const count = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
  for (const [name, e] of h.entries) {
    if (!(e instanceof RefObject) || e.duplicate() !== undefined) return `${name}: not an object with unique keys`;
    if (name === "__metadata__") { if (!e.entries.every(([, v]) => typeof v === "string")) return "metadata"; continue; }
    const dtype = e.get("dtype"), shape = e.get("shape"), off = e.get("data_offsets");
    if (!isSafeDType(dtype) || !Array.isArray(shape) || !shape.every(count) || !Array.isArray(off) || off.length !== 2 || !off.every(count)) return `${name}: fields`;
    const [s, t] = off as [number, number];
    if (s > t || t > dataLen || numel(shape as number[]) * DTYPE_SIZE[dtype] !== t - s) return `${name}: span`;
    out.set(name, { dtype, shape: shape as number[], begin: base + s, end: base + t });
  }
  const spans = [...out.values()].sort((x, y) => x.begin - y.begin || x.end - y.end);
  let at = base;
  for (const s of spans) { if (s.begin !== at) return "tiling"; at = s.end; }
  return at === b.length ? out : "trailing bytes";
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

export const safetensorsTarget: Target = {
  name: "safetensors",
  async setup() {
    const dir = fixturesDir();
    if (dir) for (const m of ["tiny-softmax1", "tiny-softmax1-cls"]) seeds.push(new Uint8Array(readFileSync(join(dir, m, "model.safetensors"))));
  },
  make(r) { const { bytes, what } = make(r); return { data: bytes, what }; },
  async check(input) {
    const bytes = input.data as Uint8Array;
    // The streamed reader (openSafetensors, what model loads use) must agree with readSafetensors on every input.
    const streamed = await openSafetensors(bytesFile(bytes, "fuzz.safetensors"), "fuzz.safetensors").then((v) => v, (e: unknown) => e as Error);
    let parsed: ReturnType<typeof readSafetensors>;
    try {
      parsed = readSafetensors(bytes, "fuzz.safetensors");
    } catch (e) {
      if (!(streamed instanceof Error) || streamed.message !== (e as Error).message) {
        throw new SilentWrong(`openSafetensors ${streamed instanceof Error ? `fails otherwise (${streamed.message.slice(0, 120)})` : "accepts"} a file readSafetensors refuses`);
      }
      throw e;
    }
    if (streamed instanceof Error) throw new SilentWrong(`openSafetensors refuses (${streamed.message.slice(0, 120)}) a file readSafetensors accepts`);
    const { tensors, metadata } = parsed;
    if (JSON.stringify(streamed.metadata) !== JSON.stringify(metadata) || [...streamed.tensors.keys()].join("\0") !== [...tensors.keys()].join("\0")) {
      throw new SilentWrong("openSafetensors lists other tensors or metadata than readSafetensors");
    }
    for (const [name, e] of streamed.tensors) {
      const t = tensors.get(name)!;
      if (e.dtype !== t.dtype || e.shape.join() !== t.shape.join() || e.byteLength !== t.bytes.byteLength || !same(await e.read(), t.bytes)) {
        throw new SilentWrong(`tensor "${name.slice(0, 40)}": openSafetensors reads other bytes than readSafetensors`);
      }
    }
    const ref = reference(bytes);
    if (typeof ref === "string") throw new SilentWrong(`accepted a file the strict reader refuses (${ref})`);
    if (ref.size !== tensors.size) throw new SilentWrong(`${tensors.size} tensors, the reference reads ${ref.size}`);
    for (const [name, t] of tensors) {
      const e = ref.get(name);
      if (!e || e.dtype !== t.dtype || e.shape.join() !== t.shape.join()) throw new SilentWrong(`tensor "${name.slice(0, 40)}": dtype/shape differ from the header`);
      if (t.bytes.buffer !== bytes.buffer || t.bytes.byteOffset - bytes.byteOffset !== e.begin || t.bytes.byteLength !== e.end - e.begin) {
        throw new SilentWrong(`tensor "${name.slice(0, 40)}": bytes are not [${e.begin}, ${e.end}) of the file`);
      }
    }
    const again = readSafetensors(writeSafetensors(new Map([...tensors].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: t.bytes }])), metadata), "again");
    if (JSON.stringify(again.metadata) !== JSON.stringify(metadata)) throw new SilentWrong("metadata changes on re-serialization");
    for (const [name, t] of tensors) {
      const u = again.tensors.get(name);
      if (!u || u.dtype !== t.dtype || u.shape.join() !== t.shape.join() || !same(u.bytes, t.bytes)) throw new SilentWrong(`tensor "${name.slice(0, 40)}" changes on re-serialization`);
    }
  },
  bytes: (input) => input.data as Uint8Array,
};
