// Restricted unpickler for the protocol-2 pickles torch.save writes. It is a data parser, not a VM:
// GLOBAL only yields inert markers from a fixed whitelist (anything else throws UnsafePickleError the moment
// the opcode is read), and REDUCE calls only those markers' handlers. Nothing in a file is ever executed.
import { FormatError, UnsafePickleError } from "../errors.js";
import { clip } from "./quote.js";

/** An allowed global (class or function), as an inert marker; only `callGlobal` gives it meaning. */
export class PickleGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualified(): string { return `${this.module}.${this.name}`; }
}

/** Pickle values: null, boolean, number, string, Uint8Array, arrays (tuples and lists), Map (dicts),
 *  PickleGlobal, or whatever `callGlobal` / `persistentLoad` return. */
export type PickleValue = unknown;

/** Globals torch.save state dicts reference. The storage classes are only ever markers inside persistent
 *  ids; Double/Short/Bool are listed so torch-bin can report them as unsupported dtypes, not as attacks. */
export const TORCH_GLOBALS: ReadonlySet<string> = new Set([
  "collections.OrderedDict",
  "torch._utils._rebuild_tensor_v2",
  "torch._utils._rebuild_parameter",
  ...["Float", "Half", "BFloat16", "Long", "Int", "Char", "Byte", "Double", "Short", "Bool"].map((t) => `torch.${t}Storage`),
]);

export interface UnpickleOptions {
  /** Names errors. */
  file: string;
  /** `module.name` strings GLOBAL may reference. Default TORCH_GLOBALS. */
  allowed?: ReadonlySet<string>;
  /** REDUCE on an allowed global other than collections.OrderedDict (which is built in). */
  callGlobal?: (fn: PickleGlobal, args: PickleValue[], pos: number) => PickleValue;
  /** BINPERSID: turn a persistent id into a value (torch: a storage reference). */
  persistentLoad?: (pid: PickleValue, pos: number) => PickleValue;
}

const MARK = Symbol("mark");

/**
 * Decode one pickle, refusing any global outside the whitelist.
 * @example
 * const stateDict = unpickle(pkl, { file: "data.pkl", persistentLoad: (pid) => pid, callGlobal: (f, a) => a });
 */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions): PickleValue {
  const { file } = opts;
  const allowed = opts.allowed ?? TORCH_GLOBALS;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let p = 0;
  let op = 0, opPos = 0;

  const fail = (msg: string): never => { throw new FormatError(`${file}: pickle opcode 0x${hex(op)} at byte ${opPos}: ${msg}`); };
  const need = (n: number) => { if (p + n > bytes.byteLength) throw new FormatError(`${file}: pickle truncated at byte ${bytes.byteLength} (opcode 0x${hex(op)} at byte ${opPos} needs ${n} more bytes)`); };
  const u8 = () => { need(1); return bytes[p++]; };
  const u16 = () => { need(2); const v = dv.getUint16(p, true); p += 2; return v; };
  const u32 = () => { need(4); const v = dv.getUint32(p, true); p += 4; return v; };
  const i32 = () => { need(4); const v = dv.getInt32(p, true); p += 4; return v; };
  const u64 = () => { const lo = u32(), hi = u32(); const v = hi * 2 ** 32 + lo; if (!Number.isSafeInteger(v)) fail(`length ${v} too large`); return v; };
  const take = (n: number) => { need(n); const v = bytes.subarray(p, p + n); p += n; return v; };
  const str = (n: number) => { try { return utf8.decode(take(n)); } catch (e) { if (e instanceof FormatError) throw e; return fail("invalid UTF-8 string"); } };
  const line = () => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) throw new FormatError(`${file}: pickle truncated at byte ${bytes.byteLength} (unterminated line for opcode 0x${hex(op)} at byte ${opPos})`);
    const s = new TextDecoder("latin1").decode(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };
  // A MARK is never a value: reaching one means the opcode needed more items than were pushed after it.
  const pop = (): unknown => { if (stack.length === 0 || stack[stack.length - 1] === MARK) fail("stack underflow"); return stack.pop(); };
  const top = (): unknown => { if (stack.length === 0 || stack[stack.length - 1] === MARK) fail("stack underflow"); return stack[stack.length - 1]; };
  const popMark = (): unknown[] => { const m = marks.pop(); if (m === undefined) return fail("no MARK on the stack"); return stack.splice(m); };
  const global = (module: string, name: string, at: number): PickleGlobal => {
    const q = `${module}.${name}`;
    // Checked before anything else happens: a forbidden name never reaches the stack.
    if (!allowed.has(q)) throw new UnsafePickleError(`${file}: pickle references global ${clip(q)} at byte ${at}; only ${clip([...allowed].join(", "), 600)} are allowed. Nothing was executed.`);
    return new PickleGlobal(module, name);
  };
  const dict = (d: unknown): Map<unknown, unknown> => (d instanceof Map ? d : fail(`SETITEM(S) on a ${describe(d)}, not a dict`));
  // Tuples are frozen arrays: appending to one is malformed input, not a TypeError.
  const list = (l: unknown): unknown[] => (Array.isArray(l) && !Object.isFrozen(l) ? l : fail(`APPEND(S) on a ${describe(l)}, not a list`));

  for (;;) {
    opPos = p;
    if (p >= bytes.byteLength) throw new FormatError(`${file}: pickle truncated at byte ${p} (ended before STOP)`);
    op = bytes[p++];
    switch (op) {
      case 0x80: { const v = u8(); if (v > 5) fail(`unsupported protocol ${v}`); break; } // PROTO
      case 0x95: u64(); break; // FRAME (protocol 4): a length hint only
      case 0x2e: { // STOP
        if (marks.length > 0) fail("MARK left open at STOP");
        if (stack.length !== 1) fail(`stack holds ${stack.length} values at STOP, want 1`);
        return stack[0];
      }
      case 0x28: marks.push(stack.length); stack.push(MARK); break; // MARK
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push(Object.freeze([])); break; // EMPTY_TUPLE
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(long(take(u8()), fail)); break; // LONG1
      case 0x8b: { const n = u32(); if (n > 16) fail(`${n}-byte integer exceeds 2^53`); stack.push(long(take(n), fail)); break; } // LONG4
      case 0x47: { need(8); stack.push(dv.getFloat64(p, false)); p += 8; break; } // BINFLOAT (big-endian)
      case 0x58: stack.push(str(u32())); break; // BINUNICODE
      case 0x8c: stack.push(str(u8())); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(str(u64())); break; // BINUNICODE8
      case 0x54: stack.push(latin1(take(u32()))); break; // BINSTRING (py2 str)
      case 0x55: stack.push(latin1(take(u8()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(take(u32())); break; // BINBYTES
      case 0x43: stack.push(take(u8())); break; // SHORT_BINBYTES
      case 0x74: stack.push(Object.freeze(popMark().slice(1))); break; // TUPLE
      case 0x85: { const a = pop(); stack.push(Object.freeze([a])); break; } // TUPLE1
      case 0x86: { const b = pop(), a = pop(); stack.push(Object.freeze([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(), b = pop(), a = pop(); stack.push(Object.freeze([a, b, c])); break; } // TUPLE3
      case 0x6c: stack.push(popMark().slice(1)); break; // LIST
      case 0x64: { // DICT
        const items = popMark().slice(1);
        if (items.length % 2) fail("odd number of items");
        const d = new Map();
        for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET / LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) fail(`memo key ${k} was never stored`);
        stack.push(memo.get(k));
        break;
      }
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x63: { const module = line(), name = line(); stack.push(global(module, name, opPos)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL (protocol 4)
        const name = pop(), module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("STACK_GLOBAL needs two strings");
        stack.push(global(module as string, name as string, opPos));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop(), fn = pop();
        if (!(fn instanceof PickleGlobal)) fail(`REDUCE on a ${describe(fn)}, not an allowed global`);
        if (!Array.isArray(args)) fail("REDUCE arguments are not a tuple");
        stack.push(call(fn as PickleGlobal, args as unknown[]));
        break;
      }
      case 0x81: { // NEWOBJ: cls.__new__(cls, *args); only OrderedDict makes sense here
        const args = pop(), cls = pop();
        if (!(cls instanceof PickleGlobal) || cls.qualified !== "collections.OrderedDict" || !Array.isArray(args)) fail(`NEWOBJ on ${describe(cls)}`);
        stack.push(new Map());
        break;
      }
      case 0x62: { // BUILD: state for __setstate__; state dicts carry `_metadata` here, which we drop
        pop();
        const obj = top();
        if (obj instanceof PickleGlobal) fail(`BUILD on global ${obj.qualified}`);
        break;
      }
      case 0x73: { const v = pop(), k = pop(); dict(top()).set(k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark().slice(1);
        if (items.length % 2) fail("odd number of items");
        const d = dict(top());
        for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
        break;
      }
      case 0x61: { const v = pop(); list(top()).push(v); break; } // APPEND
      case 0x65: { const items = popMark().slice(1); const l = list(top()); for (const it of items) l.push(it); break; } // APPENDS
      case 0x51: { // BINPERSID
        const pid = pop();
        stack.push(opts.persistentLoad ? opts.persistentLoad(pid, opPos) : fail("persistent id without a persistentLoad handler"));
        break;
      }
      default:
        throw new FormatError(`${file}: unknown or unsupported pickle opcode 0x${hex(op)} at byte ${opPos}`);
    }
  }

  function call(fn: PickleGlobal, args: unknown[]): unknown {
    if (fn.qualified === "collections.OrderedDict") {
      if (args.length !== 0) fail("OrderedDict with arguments");
      return new Map();
    }
    if (!opts.callGlobal) return fail(`REDUCE on ${fn.qualified}, which has no handler`);
    return opts.callGlobal(fn, args, opPos);
  }
}

/** Little-endian two's-complement integer (LONG1/LONG4), as a number; beyond 2^53 is refused. */
function long(b: Uint8Array, fail: (m: string) => never): number {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) return fail(`integer ${clip(String(v), 40)} exceeds 2^53`);
  return Number(v);
}

function latin1(b: Uint8Array): string {
  return new TextDecoder("latin1").decode(b);
}

function hex(n: number): string {
  return n.toString(16).padStart(2, "0");
}

function describe(v: unknown): string {
  if (v instanceof PickleGlobal) return v.qualified;
  if (v === null) return "None";
  if (Array.isArray(v)) return Object.isFrozen(v) ? "tuple" : "list";
  if (v instanceof Map) return "dict";
  return typeof v;
}

/**
 * A short, bounded preview of an unpickled value for error messages: never the value itself (a hostile pickle can
 * nest containers 10⁴ deep or build a DAG whose string form is 2⁴⁰ long), at most ~80 characters.
 */
export function preview(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v).slice(0, 40);
  if (Array.isArray(v)) return `a ${describe(v)} of ${v.length} items`;
  if (v instanceof Map) return `a dict of ${v.size} items`;
  return describe(v);
}
