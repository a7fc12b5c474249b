// pytorch_model.bin: the fixtures (bit-equal to model.safetensors, tied decoder), synthetic torch zips
// (archive/ prefix, zip64, offsets, non-contiguous), the restricted unpickler against hostile pickles
// (os.system, builtins.eval, posix.system, subprocess.Popen), bad opcodes, truncation, bad zips.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FormatError, UnsafePickleError } from "../src/errors.js";
import { readSafetensors } from "../src/io/safetensors.js";
import { readTorchBin } from "../src/io/torch-bin.js";
import { unpickle } from "../src/io/pickle.js";
import { readZip } from "../src/io/zip.js";
import { toFloat32 } from "../src/io/raw-tensor.js";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";
import { makeZip, PickleWriter, torchStateDictPickle, type FakeTensor } from "./helpers/make-files.js";

const FIX = fixturesDir();
const TIED = "cls.predictions.decoder.weight", WORD = "bert.embeddings.word_embeddings.weight";

for (const model of ["tiny-softmax1", "tiny-softmax", "tiny-softmax1-cls"]) {
  test(`${model}: pytorch_model.bin and model.safetensors hold bit-identical tensors`, { skip: FIX ? false : NO_FIXTURES }, () => {
    const dir = join(FIX!, model);
    const bin = readTorchBin(new Uint8Array(readFileSync(join(dir, "pytorch_model.bin"))), "pytorch_model.bin");
    const st = readSafetensors(new Uint8Array(readFileSync(join(dir, "model.safetensors"))), "model.safetensors").tensors;
    let shared = 0;
    for (const [name, s] of st) {
      const b = bin.get(name);
      assert.ok(b, `${name} missing from .bin`);
      assert.equal(b.dtype, s.dtype, name);
      assert.deepEqual(b.shape, s.shape, name);
      assert.ok(Buffer.from(b.bytes).equals(Buffer.from(s.bytes)), `${name} differs`);
      assert.equal(toFloat32(b, name).length, toFloat32(s, name).length);
      shared++;
    }
    assert.ok(shared > 10);
    const extra = [...bin.keys()].filter((k) => !st.has(k));
    if (bin.has(WORD) && model !== "tiny-softmax1-cls") {
      assert.deepEqual(extra, [TIED], "only the tied decoder is extra in .bin");
      assert.equal(bin.get(TIED)!.bytes, bin.get(WORD)!.bytes, "tied tensors share one view of storage data/0");
    } else assert.deepEqual(extra, []);
  });
}

const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);
function torchZip(prefix: string, tensors: FakeTensor[], storages: Record<string, Uint8Array>, zip64 = false): Uint8Array {
  return makeZip([
    { name: `${prefix}/data.pkl`, data: torchStateDictPickle(tensors) },
    ...Object.entries(storages).map(([k, data]) => ({ name: `${prefix}/data/${k}`, data })),
    { name: `${prefix}/version`, data: new TextEncoder().encode("3\n") },
  ], { zip64, align: 64 });
}

test("synthetic torch zips: archive/ prefix, zip64, offsets, scalars, tying, int storages", () => {
  for (const zip64 of [false, true]) {
    const file = torchZip("archive", [
      { name: "a", storage: "0", numel: 6, size: [2, 3] },
      { name: "tied", storage: "0", numel: 6, size: [2, 3] },
      { name: "tail", storage: "0", numel: 6, offset: 4, size: [2] },
      { name: "scalar", storage: "1", numel: 1, size: [] },
      { name: "col", storage: "1", numel: 1, size: [1, 1], stride: [7, 9] }, // size-1 dims: any stride is contiguous
      { name: "ids", storage: "2", type: "LongStorage", numel: 2, size: [2] },
    ], { "0": f32(1, 2, 3, 4, 5, 6), "1": f32(7), "2": new Uint8Array(new BigInt64Array([5n, -1n]).buffer) }, zip64);
    const t = readTorchBin(file, "m.bin");
    assert.deepEqual([...t.keys()], ["a", "tied", "tail", "scalar", "col", "ids"]);
    assert.deepEqual([...toFloat32(t.get("a")!, "a")], [1, 2, 3, 4, 5, 6]);
    assert.equal(t.get("tied")!.bytes, t.get("a")!.bytes);
    assert.deepEqual([...toFloat32(t.get("tail")!, "tail")], [5, 6]);
    assert.deepEqual(t.get("scalar")!.shape, []);
    assert.deepEqual([...toFloat32(t.get("scalar")!, "scalar")], [7]);
    assert.deepEqual(t.get("ids")!.dtype, "I64");
    assert.equal(t.get("a")!.bytes.byteOffset % 64, 0, "aligned data stays a zero-copy view");
  }
});

test("torch zips that must be refused", () => {
  const bad = (bytes: Uint8Array, re: RegExp) => assert.throws(() => readTorchBin(bytes, "m.bin"), (e: Error) => e instanceof FormatError && re.test(e.message) && /m\.bin/.test(e.message));
  const t0 = { name: "w", storage: "0", numel: 6, size: [2, 3] };
  bad(torchZip("p", [{ ...t0, stride: [1, 2] }], { "0": f32(1, 2, 3, 4, 5, 6) }), /"w".*not contiguous/);
  bad(torchZip("p", [{ ...t0, offset: 2 }], { "0": f32(1, 2, 3, 4, 5, 6) }), /"w".*runs past storage/);
  bad(torchZip("p", [t0], { "0": f32(1, 2) }), /claims 6 F32 elements/);
  bad(torchZip("p", [t0], {}), /no entry p\/data\/0/);
  bad(torchZip("p", [{ ...t0, type: "DoubleStorage" }], { "0": new Uint8Array(48) }), /"w".*DoubleStorage is not supported/);
  bad(makeZip([{ name: "archive/version", data: new Uint8Array(1) }]), /no <prefix>\/data\.pkl/);
  bad(makeZip([{ name: "archive/data.pkl", data: torchStateDictPickle([]), method: 8 }]), /"archive\/data\.pkl" is compressed \(method 8\)/);
  bad(new Uint8Array([0x80, 2, 0x8a, 0x0a]), /legacy/);
  bad(new Uint8Array(100), /not a zip archive/);
  const zip = torchZip("p", [t0], { "0": f32(1, 2, 3, 4, 5, 6) });
  bad(zip.subarray(0, zip.length - 30), /not a zip archive|zip64|central directory/);
});

test("readZip: entries are zero-copy views; compressed entries refused only when read", () => {
  const data = new Uint8Array([9, 8, 7]);
  const bytes = makeZip([{ name: "a/x", data }, { name: "a/z", data, method: 8 }]);
  const entries = readZip(bytes, "t.zip");
  const x = entries.get("a/x")!.data();
  assert.deepEqual([...x], [9, 8, 7]);
  assert.equal(x.buffer, bytes.buffer);
  assert.throws(() => entries.get("a/z")!.data(), FormatError);
});

/** A pickle that, if it were executed, would create `marker` via the given global. */
function hostile(module: string, name: string, marker: string, stackGlobal = false): Uint8Array {
  const w = new PickleWriter().proto(stackGlobal ? 4 : 2);
  if (stackGlobal) w.stackGlobal(module, name); else w.global(module, name);
  const payload = module === "builtins" ? `__import__('os').system('touch ${marker}')` : `touch ${marker}`;
  return w.unicode(payload).tuple1().reduce().stop().bytes();
}

test("hostile pickles throw UnsafePickleError at the GLOBAL, and run nothing", () => {
  const dir = mkdtempSync(join(tmpdir(), "germ-pickle-"));
  try {
    const cases: [string, string, boolean][] = [["os", "system", false], ["builtins", "eval", true], ["posix", "system", false],
      ["subprocess", "Popen", false], ["builtins", "exec", false], ["torch", "load", false], ["nt", "system", true]];
    for (const [module, name, sg] of cases) {
      const marker = join(dir, `${module}-${name}`);
      const pkl = hostile(module, name, marker, sg);
      const at = sg ? 2 + (2 + module.length) + (2 + name.length) : 2;
      assert.throws(() => unpickle(pkl, { file: "data.pkl" }), (e: Error) => {
        assert.ok(e instanceof UnsafePickleError, `${e.name}: ${e.message}`);
        assert.match(e.message, new RegExp(`${module}\\.${name} at byte ${at}`));
        return true;
      });
      assert.equal(existsSync(marker), false, `${module}.${name} ran`);
      // Inside a torch zip too: the zip is valid, the pickle is the attack.
      const zip = makeZip([{ name: "archive/data.pkl", data: pkl }]);
      assert.throws(() => readTorchBin(zip, "evil.bin"), UnsafePickleError);
      assert.equal(existsSync(marker), false);
    }
    // Thrown as the GLOBAL is read: the garbage after it is never reached.
    const early = new PickleWriter().proto().global("os", "system").raw(0xff, 0xff).bytes();
    assert.throws(() => unpickle(early, { file: "x" }), UnsafePickleError);
    // Whitelisted globals cannot be abused either: a storage class is a marker, not a callable.
    const call = new PickleWriter().proto().global("torch", "FloatStorage").emptyTuple().reduce().stop().bytes();
    assert.throws(() => unpickle(call, { file: "x" }), (e: Error) => e instanceof FormatError && /FloatStorage.*no handler/.test(e.message));
    // REDUCE on a non-global (a string) is refused.
    const str = new PickleWriter().proto().unicode("os.system").emptyTuple().reduce().stop().bytes();
    assert.throws(() => unpickle(str, { file: "x" }), FormatError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("unpickle: values, memo, and malformed input", () => {
  const w = new PickleWriter().proto().emptyDict().put(0).unicode("k").mark().int(1).int(300).int(-5).int(2 ** 40).raw(0x88, 0x4e)
    .raw(0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0).tuple().setitem().unicode("again").get(0).raw(0x85).setitem().stop();
  const v = unpickle(w.bytes(), { file: "x" }) as Map<string, unknown>;
  assert.deepEqual(v.get("k"), [1, 300, -5, 2 ** 40, true, null, 1.5]);
  assert.equal((v.get("again") as unknown[])[0], v, "BINGET returns the memoised object itself");
  const fmt = (bytes: Uint8Array, re: RegExp) => assert.throws(() => unpickle(bytes, { file: "d.pkl", persistentLoad: (p) => p, callGlobal: () => null }), (e: Error) => e instanceof FormatError && re.test(e.message));
  fmt(new Uint8Array([0x80, 2, 0xfe, 0x2e]), /unknown .*opcode 0xfe at byte 2/);
  fmt(new Uint8Array([0x80, 2, 0x58, 10, 0, 0, 0, 0x61]), /truncated/);
  fmt(new Uint8Array([0x80, 2, 0x7d]), /truncated.*before STOP/);
  fmt(new Uint8Array([0x80, 2, 0x63, 0x6f, 0x73]), /truncated/);
  fmt(new Uint8Array([0x80, 2, 0x2e]), /stack holds 0/);
  fmt(new Uint8Array([0x80, 2, 0x28, 0x73, 0x2e]), /underflow/);
  fmt(new Uint8Array([0x80, 2, 0x68, 7, 0x2e]), /memo key 7/);
  fmt(truncatedTorchPickle(), /truncated/);
});

function truncatedTorchPickle(): Uint8Array {
  const full = torchStateDictPickle([{ name: "w", storage: "0", numel: 1, size: [1] }]);
  return full.subarray(0, full.length - 5);
}

test("hostile pickles stay typed and bounded: APPEND onto a tuple, a 2^40-node DAG key, 10^4-deep nesting", () => {
  // PROTO 2, EMPTY_TUPLE, NONE, APPEND, STOP: appending to a tuple is malformed input, not a TypeError.
  assert.throws(() => unpickle(Uint8Array.from([0x80, 0x02, 0x29, 0x4e, 0x61, 0x2e]), { file: "t.pkl" }), (e: Error) => e instanceof FormatError && /APPEND\(S\) on a tuple/.test(e.message));
  // x = (x, x) forty times (DUP + TUPLE2: 86 bytes) as a state dict key: the error message stays short and quick.
  const dag = [0x80, 0x02, 0x28, 0x4e, ...Array(40).fill([0x32, 0x86]).flat(), 0x4e, 0x64, 0x2e];
  const t0 = performance.now();
  const zip = makeZip([
    { name: "archive/data.pkl", data: Uint8Array.from(dag) },
    { name: "archive/version", data: new TextEncoder().encode("3\n") },
  ]);
  assert.throws(() => readTorchBin(zip, "dag.bin"), (e: Error) => e instanceof FormatError && e.message.length < 300 && /key a tuple of 2 items is not a string/.test(e.message));
  assert.ok(performance.now() - t0 < 2000, "bounded time");
  // Containers nested 10^4 deep as a key: typed, bounded.
  const deep = [0x80, 0x02, 0x28, ...Array(10000).fill(0x5d), ...Array(9999).fill(0x61), 0x4e, 0x64, 0x2e];
  const deepZip = makeZip([{ name: "archive/data.pkl", data: Uint8Array.from(deep) }, { name: "archive/version", data: new TextEncoder().encode("3\n") }]);
  assert.throws(() => readTorchBin(deepZip, "deep.bin"), (e: Error) => e instanceof FormatError && e.message.length < 300);
});
