// safetensors reader/writer and toFloat32: the golden fixture, a round trip of every dtype, and hostile files
// (truncated, oversized header, bad JSON, unknown dtype, size mismatch, out-of-range and overlapping offsets).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FormatError, ShapeError } from "../src/errors.js";
import { readSafetensors, writeSafetensors } from "../src/io/safetensors.js";
import { toFloat32, type SafeDType } from "../src/io/raw-tensor.js";
import { fixturesDir, NO_FIXTURES, readJson } from "./helpers/fixtures.js";
import { rawSafetensors } from "./helpers/make-files.js";

const FIX = fixturesDir();

test("golden.safetensors: every array listed in golden.json is readable with its shape", { skip: FIX ? false : NO_FIXTURES }, () => {
  const dir = join(FIX!, "tiny-softmax1");
  const { tensors } = readSafetensors(new Uint8Array(readFileSync(join(dir, "golden.safetensors"))), "golden.safetensors");
  const index = readJson<{ arrays: Record<string, number[] | { shape: number[] }> }>(join(dir, "golden.json")).arrays;
  assert.ok(tensors.size > 0);
  for (const [name, info] of Object.entries(index)) {
    const t = tensors.get(name);
    assert.ok(t, `missing ${name}`);
    assert.equal(t.dtype, "F32");
    assert.deepEqual(t.shape, Array.isArray(info) ? info : info.shape);
    const v = toFloat32(t, name);
    assert.equal(v.length, t.shape.reduce((a, b) => a * b, 1));
    assert.ok(v.every(Number.isFinite), `${name} has non-finite values`);
  }
});

test("model.safetensors: metadata and zero-copy F32 views", { skip: FIX ? false : NO_FIXTURES }, () => {
  const bytes = new Uint8Array(readFileSync(join(FIX!, "tiny-softmax1", "model.safetensors")));
  const { tensors, metadata } = readSafetensors(bytes, "model.safetensors");
  assert.equal(metadata.format, "pt");
  assert.ok(!tensors.has("cls.predictions.decoder.weight"), "tied decoder is left out of safetensors");
  const name = "bert.embeddings.word_embeddings.weight";
  const w = toFloat32(tensors.get(name)!, name);
  if (tensors.get(name)!.bytes.byteOffset % 4 === 0) assert.equal(w.buffer, bytes.buffer, "aligned F32 is not copied");
});

test("writeSafetensors round-trips every dtype, metadata, scalars and empty tensors", () => {
  const src = new Map<string, { dtype: SafeDType; shape: number[]; data: ArrayBufferView }>([
    ["u8", { dtype: "U8", shape: [3], data: new Uint8Array([1, 2, 255]) }],
    ["f32", { dtype: "F32", shape: [2, 3], data: new Float32Array([1, -2, 3.5, 1e-30, -0, Infinity]) }],
    ["f16", { dtype: "F16", shape: [2], data: new Uint16Array([0x3c00, 0xc000]) }],
    ["bf16", { dtype: "BF16", shape: [1], data: new Uint16Array([0x3f80]) }],
    ["i8", { dtype: "I8", shape: [2], data: new Int8Array([-128, 127]) }],
    ["i32", { dtype: "I32", shape: [1, 1], data: new Int32Array([-7]) }],
    ["i64", { dtype: "I64", shape: [], data: new BigInt64Array([-(2n ** 40n)]) }],
    ["empty", { dtype: "F32", shape: [0, 4], data: new Float32Array(0) }],
  ]);
  const file = writeSafetensors(src, { format: "pt", note: "hi" });
  const { tensors, metadata } = readSafetensors(file, "rt.safetensors");
  assert.deepEqual(metadata, { format: "pt", note: "hi" });
  assert.deepEqual([...tensors.keys()], [...src.keys()], "header keeps insertion order");
  for (const [name, s] of src) {
    const t = tensors.get(name)!;
    assert.equal(t.dtype, s.dtype);
    assert.deepEqual(t.shape, s.shape);
    assert.deepEqual([...t.bytes], [...new Uint8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength)], name);
    // Widest dtype first keeps every tensor aligned to its element size within the file.
    assert.equal(t.bytes.byteOffset % (s.dtype === "I64" ? 8 : s.dtype.includes("32") ? 4 : s.dtype.includes("16") ? 2 : 1), 0, name);
  }
  assert.deepEqual([...toFloat32(tensors.get("f32")!, "f32")], [1, -2, 3.5, Math.fround(1e-30), -0, Infinity]);
  assert.deepEqual([...toFloat32(tensors.get("f16")!, "f16")], [1, -2]);
  assert.deepEqual([...toFloat32(tensors.get("bf16")!, "bf16")], [1]);
  assert.throws(() => writeSafetensors(new Map([["x", { dtype: "F32", shape: [3], data: new Float32Array(2) }]])), ShapeError);
});

test("toFloat32: F16 specials, BF16, unaligned F32, integer dtypes refused", () => {
  const f16 = new Uint8Array(new Uint16Array([0x3c00, 0x7bff, 0x0001, 0x03ff, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x3555]).buffer);
  const v = toFloat32({ dtype: "F16", shape: [9], bytes: f16 }, "h");
  assert.deepEqual([...v.slice(0, 7)], [1, 65504, 2 ** -24, 1023 * 2 ** -24, -0, Infinity, -Infinity]);
  assert.ok(Number.isNaN(v[7]));
  assert.equal(v[8], 0.333251953125);
  const bf = new Uint8Array(new Uint16Array([0x3f80, 0xc040, 0x0001]).buffer);
  assert.deepEqual([...toFloat32({ dtype: "BF16", shape: [3], bytes: bf }, "b")], [1, -3, 2 ** -133]);
  const buf = new Uint8Array(9);
  buf.set(new Uint8Array(new Float32Array([1.5, -2]).buffer), 1);
  assert.deepEqual([...toFloat32({ dtype: "F32", shape: [2], bytes: buf.subarray(1) }, "u")], [1.5, -2]);
  assert.throws(() => toFloat32({ dtype: "I64", shape: [1], bytes: new Uint8Array(8) }, "ids"), (e: Error) => e instanceof FormatError && /"ids".*I64/.test(e.message));
});

/** Expect a FormatError whose message matches every pattern. */
function rejects(bytes: Uint8Array, ...patterns: RegExp[]): void {
  assert.throws(() => readSafetensors(bytes, "evil.safetensors"), (e: Error) => {
    assert.ok(e instanceof FormatError, `${e.name}: ${e.message}`);
    assert.match(e.message, /evil\.safetensors/);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}
const t = (dtype: string, shape: number[], off: [number, number]) => ({ dtype, shape, data_offsets: off });

test("hostile safetensors are FormatErrors naming file and tensor", () => {
  rejects(new Uint8Array(5), /too short/);
  rejects(rawSafetensors({ w: t("F32", [1], [0, 4]) }, new Uint8Array(4), 1_000_000), /header length 1000000/);
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setUint32(4, 0xffffffff, true); // 2^64-scale length
  rejects(huge, /header length/);
  rejects(rawSafetensors("{not json"), /not valid JSON/);
  rejects(rawSafetensors("[1,2]"), /JSON object/);
  rejects(rawSafetensors({ w: t("F64", [1], [0, 8]) }, new Uint8Array(8)), /"w"/, /dtype "F64"/);
  rejects(rawSafetensors({ w: t("F32", [3], [0, 8]) }, new Uint8Array(8)), /"w"/, /needs 12 bytes/);
  rejects(rawSafetensors({ w: t("F32", [-1], [0, 4]) }, new Uint8Array(4)), /"w"/, /shape/);
  rejects(rawSafetensors({ w: t("F32", [4], [0, 16]) }, new Uint8Array(8)), /"w"/, /out of range/);
  rejects(rawSafetensors({ w: t("F32", [0], [8, 4]) }, new Uint8Array(8)), /"w"/, /begin 8 > end 4/);
  rejects(rawSafetensors({ a: t("F32", [2], [0, 8]), b: t("F32", [2], [4, 12]) }, new Uint8Array(12)), /"b"/, /overlap/, /"a"/);
  rejects(rawSafetensors({ a: t("F32", [4], [0, 16]), z: t("F32", [0], [8, 8]), b: t("F32", [1], [12, 16]) }, new Uint8Array(16)), /overlap/);
  rejects(rawSafetensors({ w: { dtype: "F32", shape: [1] } }, new Uint8Array(4)), /"w"/, /data_offsets/);
  rejects(rawSafetensors({ __metadata__: { n: 1 } }), /__metadata__/);
  const badUtf8 = rawSafetensors("{}");
  badUtf8[9] = 0xff;
  rejects(badUtf8, /not valid JSON/);
  // The tensors must tile the data section exactly (the reference implementation's rule): gaps, trailing bytes and
  // an empty tensor inside another's span are refused; an empty tensor on a boundary is fine.
  rejects(rawSafetensors({ a: t("F32", [2], [0, 8]), z: t("F32", [0], [4, 4]) }, new Uint8Array(8)), /overlap/);
  rejects(rawSafetensors({ a: t("F32", [1], [0, 4]), b: t("F32", [1], [8, 12]) }, new Uint8Array(12)), /4 unused bytes at \[4, 8\) before tensor "b"/);
  rejects(rawSafetensors({ a: t("F32", [1], [0, 4]) }, new Uint8Array(5)), /1 bytes after the last tensor/);
  assert.equal(readSafetensors(rawSafetensors({ a: t("F32", [2], [0, 8]), z: t("F32", [0], [8, 8]) }, new Uint8Array(8)), "ok").tensors.size, 2);
  // A header length one byte short shifts every tensor: refused, not loaded as garbage.
  const good = rawSafetensors({ a: t("F32", [1], [0, 4]) }, new Uint8Array(4));
  const short = good.slice();
  new DataView(short.buffer).setUint32(0, new DataView(good.buffer).getUint32(0, true) - 1, true);
  assert.throws(() => readSafetensors(short, "short"), FormatError);
});
