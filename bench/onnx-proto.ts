// A minimal protobuf writer and ONNX model builder, enough to hand onnxruntime-web graphs we construct in memory
// (no python/onnx needed). Field numbers follow onnx.proto3 (ModelProto, GraphProto, NodeProto, TensorProto, …).

type Field =
  | { no: number; kind: "varint"; v: bigint }
  | { no: number; kind: "bytes"; v: Uint8Array }
  | { no: number; kind: "msg"; v: Msg }
  | { no: number; kind: "f32"; v: number };

const enc = new TextEncoder();

/** A protobuf message under construction; sizes are computed once, then written into one buffer. */
export class Msg {
  readonly fields: Field[] = [];
  private cached = -1;
  int(no: number, v: number | bigint): this { this.fields.push({ no, kind: "varint", v: BigInt(v) }); return this; }
  str(no: number, s: string): this { return this.bytes(no, enc.encode(s)); }
  bytes(no: number, v: Uint8Array): this { this.fields.push({ no, kind: "bytes", v }); return this; }
  msg(no: number, v: Msg): this { this.fields.push({ no, kind: "msg", v }); return this; }
  f32(no: number, v: number): this { this.fields.push({ no, kind: "f32", v }); return this; }

  size(): number {
    if (this.cached >= 0) return this.cached;
    let n = 0;
    for (const f of this.fields) {
      n += varintSize(BigInt(f.no << 3));
      if (f.kind === "varint") n += varintSize(f.v);
      else if (f.kind === "f32") n += 4;
      else { const len = f.kind === "bytes" ? f.v.length : f.v.size(); n += varintSize(BigInt(len)) + len; }
    }
    return (this.cached = n);
  }

  encode(): Uint8Array {
    const out = new Uint8Array(this.size());
    this.write(out, 0);
    return out;
  }

  private write(out: Uint8Array, off: number): number {
    const dv = new DataView(out.buffer, out.byteOffset);
    for (const f of this.fields) {
      const wire = f.kind === "varint" ? 0 : f.kind === "f32" ? 5 : 2;
      off = writeVarint(out, off, BigInt((f.no << 3) | wire));
      if (f.kind === "varint") off = writeVarint(out, off, f.v);
      else if (f.kind === "f32") { dv.setFloat32(off, f.v, true); off += 4; }
      else if (f.kind === "bytes") { off = writeVarint(out, off, BigInt(f.v.length)); out.set(f.v, off); off += f.v.length; }
      else { off = writeVarint(out, off, BigInt(f.v.size())); off = f.v.write(out, off); }
    }
    return off;
  }
}

/** Negative int64 values are 10-byte two's complement varints. */
function norm(v: bigint): bigint { return v < 0n ? v + (1n << 64n) : v; }
function varintSize(v: bigint): number { v = norm(v); let n = 1; while (v >= 128n) { v >>= 7n; n++; } return n; }
function writeVarint(out: Uint8Array, off: number, v: bigint): number {
  v = norm(v);
  while (v >= 128n) { out[off++] = Number(v & 127n) | 128; v >>= 7n; }
  out[off++] = Number(v);
  return off;
}

export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;

export function tensor(name: string, dims: number[], dataType: number, raw: ArrayBufferView): Msg {
  const t = new Msg();
  for (const d of dims) t.int(1, d);
  t.int(2, dataType).str(8, name).bytes(9, new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
  return t;
}

export type Attr = number | number[] | string | { f: number };

/** NodeProto; numbers are INT attributes, arrays INTS, { f } FLOAT. */
export function node(op: string, inputs: string[], outputs: string[], attrs: Record<string, Attr> = {}, domain = ""): Msg {
  const n = new Msg();
  inputs.forEach((i) => n.str(1, i));
  outputs.forEach((o) => n.str(2, o));
  n.str(3, `${op}_${outputs[0]}`).str(4, op);
  for (const [name, v] of Object.entries(attrs)) {
    const a = new Msg().str(1, name);
    if (typeof v === "number") a.int(3, v).int(20, 2);
    else if (typeof v === "string") a.str(4, v).int(20, 3);
    else if (Array.isArray(v)) { v.forEach((x) => a.int(8, x)); a.int(20, 7); }
    else a.f32(2, v.f).int(20, 1);
    n.msg(5, a);
  }
  if (domain) n.str(7, domain);
  return n;
}

export function valueInfo(name: string, elemType: number, dims: number[]): Msg {
  const shape = new Msg();
  for (const d of dims) shape.msg(1, new Msg().int(1, d));
  return new Msg().str(1, name).msg(2, new Msg().msg(1, new Msg().int(1, elemType).msg(2, shape)));
}

export function model(nodes: Msg[], initializers: Msg[], inputs: Msg[], outputs: Msg[], opset = 17): Uint8Array {
  const g = new Msg();
  nodes.forEach((n) => g.msg(1, n));
  g.str(2, "germ-bench");
  initializers.forEach((t) => g.msg(5, t));
  inputs.forEach((i) => g.msg(11, i));
  outputs.forEach((o) => g.msg(12, o));
  return new Msg().int(1, 8).str(2, "germ-js bench").msg(7, g).msg(8, new Msg().str(1, "").int(2, opset)).encode();
}
