// Fuzz target: the zip layer of readTorchBin and openTorchBin (pytorch_model.bin). Entry-level edits (renames, duplicate names with
// other bytes, dropped or extra entries, a second data.pkl, changed storage bytes, a compression method), then
// archive-level edits aimed at header fields (local vs central: names, sizes, methods, CRCs, offsets; the data
// descriptors; end records), stale CRCs and raw byte edits.
// Oracle: torch-common.ts (a strict reference reading must agree), plus: when every data.pkl and data/ entry holds
// the seed's bytes, the load must equal the seed's load, tensor for tensor, byte for byte.
import { readTorchBin } from "../../../src/io/torch-bin.js";
import type { TensorMap } from "../../../src/io/raw-tensor.js";
import { mutateBytes, putLE, type Rand } from "../rand.js";
import { readRefEntry, readRefZip, writeZip, type ZipIn } from "../ref/zip.js";
import { SilentWrong, type Target } from "../target.js";
import { checkTorchLoad, loadTorchSeeds, readTorchBinBoth, torchSeed, torchZip } from "./torch-common.js";

interface ZipCase { bytes: Uint8Array; seed: ZipIn[] }

function entryEdit(r: Rand, es: ZipIn[]): string {
  const k = r.int(es.length), e = es[k]!;
  switch (r.int(9)) {
    case 0: { const m = mutateBytes(r, e.data); es[k] = { ...e, data: m.bytes }; return `data ${e.name} ${m.what}`; }
    case 1: { const o = r.pick(es); es.splice(r.int(es.length + 1), 0, { name: e.name, data: o.data }); return `duplicate name ${e.name}`; }
    case 2: { const o = r.pick(es); es[k] = { ...e, name: o.name }; return `rename ${e.name} -> ${o.name}`; }
    case 3: { es[k] = { ...e, name: e.name.slice(0, -1) + r.pick(["0", "x", "/", "", "\u00e9"]) }; return `rename ${e.name}`; }
    case 4: es.splice(k, 1); return `drop ${e.name}`;
    case 5: { es.splice(r.int(es.length + 1), 0, { name: r.pick(["data.pkl", "x/y/data.pkl", "archive/data/0", "junk"]), data: r.bytes(r.small(64)) }); return "extra entry"; }
    case 6: { es[k] = { ...e, method: r.pick([8, 12, 99]) }; return `method ${e.name}`; }
    case 7: { const bad = Uint8Array.of(0xff, 0xfe); es[k] = { ...e, nameBytes: bad }; es.push({ name: "", nameBytes: Uint8Array.of(0xfe, 0xff), data: e.data }); return "invalid UTF-8 names"; }
    default: { const j = r.int(es.length); [es[k], es[j]] = [es[j]!, es[k]!]; return "reorder"; }
  }
}

function make(r: Rand): { data: ZipCase; what: string[] } {
  const seed = torchSeed(r, 0.25);
  const what = [seed.name];
  const es = seed.entries.slice();
  for (let k = r.chance(0.5) ? r.range(1, 2) : 0; k > 0 && es.length; k--) what.push(entryEdit(r, es));
  let { bytes, fields } = torchZip(r, es, what);
  for (let k = r.chance(0.8) ? r.range(1, 3) : 0; k > 0; k--) {
    const kind = r.int(10);
    if (kind < 6 && fields.length) {
      const f = r.pick(fields), o = bytes.slice();
      const v = r.pick([0, 1, 0xffff, 0xffffffff, r.int(bytes.length), bytes.length, 2 ** 32 + r.int(64), -1]);
      if (r.chance(0.5) || f.at >= o.length) putLE(o, f.at, f.width, v); else o[f.at] ^= 1 << r.int(8);
      bytes = o;
      what.push(`field ${f.name}`);
    } else if (kind < 8) {
      // A byte of an entry's data changed, its CRC not: what corruption in transit looks like.
      try {
        const ents = readRefZip(bytes), e = r.pick(ents);
        if (e.dataEnd > e.dataStart) { const o = bytes.slice(); o[e.dataStart + r.int(e.dataEnd - e.dataStart)] ^= 1 << r.int(8); bytes = o; what.push(`stale crc ${e.name}`); }
      } catch { /* already inconsistent */ }
    } else {
      const m = mutateBytes(r, bytes);
      bytes = m.bytes;
      what.push(m.what);
    }
  }
  return { data: { bytes, seed: seed.entries }, what };
}

/** The load of the unmutated seed, computed once per seed. */
const seedLoads = new WeakMap<ZipIn[], TensorMap>();
function seedLoad(seed: ZipIn[]): TensorMap {
  let t = seedLoads.get(seed);
  if (!t) { t = readTorchBin(writeZip(seed, { descriptor: true, align: 64 }).bytes, "seed.bin"); seedLoads.set(seed, t); }
  return t;
}

const relevant = (n: string) => n === "data.pkl" || n.endsWith("/data.pkl") || n.includes("/data/");
const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

export const zipTarget: Target = {
  name: "zip",
  async setup() { loadTorchSeeds(); },
  make,
  async check(input) {
    const { bytes, seed } = input.data as ZipCase;
    const tensors = await readTorchBinBoth(bytes);
    checkTorchLoad(bytes, tensors);
    // Same relevant bytes as the seed: the load must be the seed's load.
    const ents = readRefZip(bytes).filter((e) => relevant(e.name));
    const mine = seed.filter((e) => relevant(e.name));
    if (ents.length !== mine.length) return;
    for (const e of ents) {
      const s = mine.find((x) => x.name === e.name), d = readRefEntry(bytes, e);
      if (!s || typeof d === "string" || !eq(d, s.data)) return;
    }
    let want: TensorMap;
    try { want = seedLoad(seed); } catch { return; }
    const a = [...tensors.keys()], b = [...want.keys()];
    if (a.join("\n") !== b.join("\n")) throw new SilentWrong(`same entries as the seed, different tensor names (${a.length} vs ${b.length})`);
    for (const [name, t] of tensors) {
      const w = want.get(name)!;
      if (t.dtype !== w.dtype || t.shape.join() !== w.shape.join() || !eq(t.bytes, w.bytes)) throw new SilentWrong(`same entries as the seed, tensor ${JSON.stringify(name.slice(0, 60))} differs`);
    }
  },
  bytes: (input) => (input.data as ZipCase).bytes,
};
