// What checking zip CRC-32s costs (issue 13): `node build/test/fuzz/crc-bench.js [--mb 256] [--bin-mb 468]`.
// Throughput of crc32 (node:zlib's native one where present) and of the portable slicing-by-8 path on one large
// buffer; then the share of CRC time in loading the largest fixture pytorch_model.bin and a synthetic checkpoint of
// DNABERT-2's size (117M F32 parameters ≈ 468 MB), both read from disk and parsed by readTorchBin.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readRegularFile } from "../../src/io/cache.js";
import { crc32, crc32Js } from "../../src/io/crc32.js";
import { readTorchBin } from "../../src/io/torch-bin.js";
import { readZip } from "../../src/io/zip.js";
import { fixturesDir } from "../helpers/fixtures.js";
import { torchStateDictPickle } from "../helpers/make-files.js";
import { writeZip } from "./ref/zip.js";

function best(runs: number, fn: () => void): number {
  let t = Infinity;
  for (let k = 0; k < runs; k++) { const t0 = performance.now(); fn(); t = Math.min(t, performance.now() - t0); }
  return t;
}

async function bestAsync(runs: number, fn: () => Promise<unknown>): Promise<number> {
  let t = Infinity;
  for (let k = 0; k < runs; k++) { const t0 = performance.now(); await fn(); t = Math.min(t, performance.now() - t0); }
  return t;
}

/** CRC time of the entries readTorchBin reads (data.pkl and every storage), with both implementations. */
function crcOfRead(bin: Uint8Array, runs: number): { bytes: number; native: number; js: number } {
  const entries = [...readZip(bin, "b").values()].filter((e) => e.name.endsWith("data.pkl") || e.name.includes("/data/"));
  const views = entries.map((e) => e.data());
  const bytes = views.reduce((s, v) => s + v.length, 0);
  return { bytes, native: best(runs, () => { for (const v of views) crc32(v); }), js: best(runs, () => { for (const v of views) crc32Js(v); }) };
}

async function report(label: string, path: string, runs: number): Promise<void> {
  const read = await bestAsync(runs, () => readRegularFile(path));
  const bin = await readRegularFile(path);
  const parse = best(runs, () => readTorchBin(bin, "b"));
  const c = crcOfRead(bin, runs);
  const mb = bin.length / 2 ** 20;
  console.log(`${label}: ${mb.toFixed(1)} MB, read ${read.toFixed(2)} ms + readTorchBin ${parse.toFixed(2)} ms (CRC of ${(c.bytes / 2 ** 20).toFixed(1)} MB included)`);
  console.log(`  CRC ${c.native.toFixed(2)} ms = ${((100 * c.native) / parse).toFixed(0)}% of readTorchBin, ${((100 * c.native) / (read + parse)).toFixed(0)}% of read + parse` +
    ` (portable path: ${c.js.toFixed(2)} ms, ${((100 * c.js) / (read + parse - c.native + c.js)).toFixed(0)}% of read + parse)`);
}

async function main(): Promise<void> {
  const arg = (name: string, def: number) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? Number(process.argv[i + 1]) : def; };
  const big = new Uint8Array(Math.max(arg("mb", 256), arg("bin-mb", 468)) * 2 ** 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
  const one = big.subarray(0, arg("mb", 256) * 2 ** 20), mb = one.length / 2 ** 20;
  const native = best(3, () => crc32(one)), js = best(3, () => crc32Js(one));
  const unaligned = best(3, () => crc32Js(one.subarray(1)));
  const hasNative = typeof (process.getBuiltinModule?.("node:zlib") as { crc32?: unknown } | undefined)?.crc32 === "function";
  console.log(`crc32 over ${mb} MB: ${(mb / (native / 1000)).toFixed(0)} MB/s (${hasNative ? "node:zlib" : "portable: no zlib.crc32 here"}), ` +
    `portable slicing-by-8 ${(mb / (js / 1000)).toFixed(0)} MB/s (${(mb / (unaligned / 1000)).toFixed(0)} MB/s unaligned)`);
  const fix = fixturesDir();
  if (fix) await report("largest fixture tiny-softmax1/pytorch_model.bin", join(fix, "tiny-softmax1", "pytorch_model.bin"), 50);
  // A checkpoint of DNABERT-2-117M's size: 117M F32 parameters in a few storages, laid out as torch.save does.
  const total = arg("bin-mb", 468) * 2 ** 20, parts = 8, each = Math.floor(total / parts / 4);
  const tensors = Array.from({ length: parts }, (_, k) => ({ name: `w${k}`, storage: String(k), numel: each, size: [each] }));
  const storages = Array.from({ length: parts }, (_, k) => big.subarray(k * 4096, k * 4096 + each * 4));
  const dir = mkdtempSync(join(tmpdir(), "germ-crc-"));
  try {
    const path = join(dir, "pytorch_model.bin");
    writeFileSync(path, writeZip([{ name: "archive/data.pkl", data: torchStateDictPickle(tensors) },
      ...storages.map((data, k) => ({ name: `archive/data/${k}`, data }))], { descriptor: true, align: 64 }).bytes);
    storages.length = 0;
    await report(`synthetic ${parts}-storage checkpoint`, path, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!process.env.NODE_TEST_CONTEXT) void main();
