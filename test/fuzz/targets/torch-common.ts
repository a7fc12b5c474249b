// Seeds and oracle shared by the zip and pickle targets (pytorch_model.bin). Seeds: the fixtures' .bin files as entry
// lists, and small random torch.save-like state dicts. Oracle for an accepted archive: the strict reference reader
// (ref/zip.ts) accepts it, the data.pkl read is intact (CRC), and every tensor is a view of the file lying inside a
// CRC-correct <prefix>data/<key> entry, exactly numel · itemsize bytes long: a tensor from anywhere else (another
// entry's header, a duplicate, bytes the central directory does not name) is a silent-wrong load.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DTYPE_SIZE, numel, type TensorMap } from "../../../src/io/raw-tensor.js";
import { bytesFile } from "../../../src/io/random-access.js";
import { openTorchBin, readTorchBin } from "../../../src/io/torch-bin.js";
import { fixturesDir } from "../../helpers/fixtures.js";
import { torchStateDictPickle, type FakeTensor } from "../../helpers/make-files.js";
import type { Rand } from "../rand.js";
import { readRefEntry, readRefZip, RefReject, writeZip, type ZipIn } from "../ref/zip.js";
import { SilentWrong } from "../target.js";

export interface TorchSeed { name: string; entries: ZipIn[] }

export const torchSeeds: TorchSeed[] = [];

export function loadTorchSeeds(): void {
  const dir = fixturesDir();
  if (!dir || torchSeeds.length) return;
  for (const m of ["tiny-softmax1", "tiny-softmax1-cls"]) {
    const b = new Uint8Array(readFileSync(join(dir, m, "pytorch_model.bin")));
    torchSeeds.push({ name: m, entries: readRefZip(b).map((e) => ({ name: e.name, data: b.slice(e.dataStart, e.dataEnd) })) });
  }
}

const STORAGES = [["FloatStorage", 4], ["HalfStorage", 2], ["BFloat16Storage", 2], ["LongStorage", 8], ["IntStorage", 4],
  ["ByteStorage", 1], ["CharStorage", 1], ["DoubleStorage", 8]] as const;

/** A small state dict: a few storages, tensors on them (shared, offset, scalars), as torch.save lays it out. */
export function randomTorch(r: Rand): TorchSeed {
  const prefix = r.pick(["archive", "pytorch_model", "m"]);
  const storages: { key: string; type: string; numel: number; item: number }[] = [];
  for (let k = r.range(1, 4); k > 0; k--) { const [type, item] = r.pick(STORAGES); storages.push({ key: String(storages.length), type, numel: r.range(1, 24), item }); }
  const tensors: FakeTensor[] = [];
  for (let k = r.range(1, 5); k > 0; k--) {
    const s = r.pick(storages), size = r.chance(0.2) ? [] : r.chance(0.5) ? [r.range(1, s.numel)] : [r.range(1, 3), r.range(1, 4)];
    const n = numel(size), offset = n <= s.numel ? r.range(0, s.numel - n) : 0;
    tensors.push({ name: `t${k}.weight`, storage: s.key, type: s.type, numel: s.numel, offset, size });
  }
  return {
    name: "random",
    entries: [
      { name: `${prefix}/data.pkl`, data: torchStateDictPickle(tensors) },
      ...storages.map((s) => ({ name: `${prefix}/data/${s.key}`, data: r.bytes(s.numel * s.item) })),
      { name: `${prefix}/version`, data: new TextEncoder().encode("3\n") },
    ],
  };
}

export function torchSeed(r: Rand, fixtureShare: number): TorchSeed {
  return torchSeeds.length && r.chance(fixtureShare) ? r.pick(torchSeeds) : randomTorch(r);
}

/** Serialize as torch does (data descriptors, aligned data), now and then as zip64 or with plain local headers. */
export function torchZip(r: Rand, entries: ZipIn[], what: string[]) {
  const opts = { descriptor: r.chance(0.7), zip64: r.chance(0.15), align: r.chance(0.8) ? 64 : undefined };
  what.push(`zip${opts.descriptor ? " desc" : ""}${opts.zip64 ? " zip64" : ""}`);
  return writeZip(entries, opts);
}

/** The oracle (see the file comment); throws SilentWrong. */
export function checkTorchLoad(bytes: Uint8Array, tensors: TensorMap): void {
  let entries;
  try { entries = readRefZip(bytes); } catch (e) {
    if (e instanceof RefReject) throw new SilentWrong(`loaded an archive the strict reader refuses: ${e.message}`);
    throw e;
  }
  const pkls = entries.filter((e) => e.name === "data.pkl" || e.name.endsWith("/data.pkl")).sort((a, b) => a.name.split("/").length - b.name.split("/").length);
  if (!pkls.length) throw new SilentWrong("loaded an archive without data.pkl");
  const pkl = pkls[0]!, prefix = pkl.name.slice(0, -"data.pkl".length);
  const bad = readRefEntry(bytes, pkl);
  if (typeof bad === "string") throw new SilentWrong(`read ${pkl.name.slice(0, 60)}, whose ${bad}`);
  const base = bytes.byteOffset;
  for (const [name, t] of tensors) {
    const where = `tensor ${JSON.stringify(name.slice(0, 60))}`;
    if (t.bytes.byteLength !== numel(t.shape) * DTYPE_SIZE[t.dtype]) throw new SilentWrong(`${where}: ${t.bytes.byteLength} bytes for ${t.dtype} [${t.shape}]`);
    if (t.bytes.buffer !== bytes.buffer) throw new SilentWrong(`${where}: bytes are not a view of the file`);
    const s = t.bytes.byteOffset - base, e = s + t.bytes.byteLength;
    const home = entries.find((x) => x.name.startsWith(`${prefix}data/`) && x.dataStart <= s && e <= x.dataEnd);
    if (!home) throw new SilentWrong(`${where}: bytes [${s}, ${e}) lie in no ${prefix}data/ entry the central directory names`);
    const why = readRefEntry(bytes, home);
    if (typeof why === "string") throw new SilentWrong(`${where}: comes from ${home.name.slice(0, 60)}, whose ${why}`);
  }
}

/**
 * readTorchBin, with the streamed reader as a second oracle: openTorchBin (then every tensor read) must refuse what
 * readTorchBin refuses and, where it accepts, read the very same tensors. Either may name another of several faults.
 */
export async function readTorchBinBoth(bytes: Uint8Array): Promise<TensorMap> {
  let streamed: Map<string, { dtype: string; shape: number[]; bytes: Uint8Array }> | Error;
  try {
    const index = await openTorchBin(bytesFile(bytes, "fuzz.bin"), "fuzz.bin");
    streamed = new Map();
    for (const [name, t] of index) streamed.set(name, { dtype: t.dtype, shape: t.shape, bytes: await t.read() });
  } catch (e) { streamed = e as Error; }
  let tensors: TensorMap;
  try { tensors = readTorchBin(bytes, "fuzz.bin"); } catch (e) {
    if (!(streamed instanceof Error)) throw new SilentWrong(`openTorchBin accepts an archive readTorchBin refuses (${(e as Error).message.slice(0, 120)})`);
    // Both refuse. With several faults they may name different ones: readTorchBin checks storages as the pickle names
    // them, openTorchBin only when a tensor is read, after the whole pickle (an UnsafePickleError may come first).
    throw e;
  }
  if (streamed instanceof Error) throw new SilentWrong(`openTorchBin refuses (${streamed.message.slice(0, 120)}) an archive readTorchBin accepts`);
  if ([...streamed.keys()].join("\0") !== [...tensors.keys()].join("\0")) throw new SilentWrong("openTorchBin lists other tensors than readTorchBin");
  for (const [name, t] of tensors) {
    const u = streamed.get(name)!;
    if (u.dtype !== t.dtype || u.shape.join() !== t.shape.join() || !Buffer.from(u.bytes).equals(Buffer.from(t.bytes))) {
      throw new SilentWrong(`tensor ${JSON.stringify(name.slice(0, 60))}: openTorchBin reads other bytes than readTorchBin`);
    }
  }
  return tensors;
}
