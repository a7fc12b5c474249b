// Fuzz target: the restricted unpickler, through readTorchBin and openTorchBin (data.pkl mutated, the zip around it kept valid) and,
// for a share of inputs, unpickle() alone. Mutations work on the opcode list: deleted, repeated, swapped or inserted
// opcodes; arguments set to boundary integers, long or invalid strings, other storage keys; forbidden globals;
// DAG keys (x = (x, x) forty times and more), containers nested 10^3–10^5 deep, MARK storms, wild memo keys, lying
// length fields; and raw byte edits.
// Oracle: torch-common.ts for accepted loads; the tripwire (worker) for code execution; for unpickle() alone only
// the outcome class (typed or ok).
import { unpickle } from "../../../src/io/pickle.js";
import { mutateBytes, type Rand } from "../rand.js";
import { assemble, disassemble, ops, PLAIN, type Op } from "../ref/pickle.js";
import type { Target } from "../target.js";
import { checkTorchLoad, loadTorchSeeds, readTorchBinBoth, torchSeed, torchZip } from "./torch-common.js";

const GLOBALS: [string, string][] = [["os", "system"], ["builtins", "eval"], ["builtins", "exec"], ["posix", "system"], ["subprocess", "Popen"],
  ["__builtin__", "apply"], ["torch", "load"], ["torch", "DoubleStorage"], ["torch", "FloatStorage"], ["collections", "OrderedDict"],
  ["torch._utils", "_rebuild_tensor_v2"], ["torch._utils", "_rebuild_parameter"], ["torch", "x".repeat(70_000)]];
const STRINGS = ["0", "1", "2", "storage", "cpu", "cuda:0", "", "../../etc/passwd", "x".repeat(70_000), "é", "data.pkl"];
const n = (op: number) => ops.simple(op);

/** Opcodes that nest `d` containers each inside the next, as one raw run of bytes (10^5 Op objects are slow). */
function deep(r: Rand, d: number): Op {
  const b: number[] = [];
  switch (r.int(3)) {
    case 0: for (let i = 0; i < d; i++) b.push(0x5d); for (let i = 1; i < d; i++) b.push(0x61); break; // lists, APPEND
    case 1: b.push(0x4e); for (let i = 0; i < d; i++) b.push(0x85); break; // TUPLE1 of TUPLE1 of …
    // dicts: D0 k D1 … k D(d-1), then SETITEM folds each into the one below
    default: b.push(0x7d); for (let i = 1; i < d; i++) b.push(0x4b, i & 0xff, 0x7d); for (let i = 1; i < d; i++) b.push(0x73);
  }
  return { op: -1, arg: Uint8Array.from(b) };
}

function opEdit(r: Rand, list: Op[]): string {
  const k = r.int(list.length + 1);
  // Not splice(k, 0, ...xs): 10^5 arguments overflow the stack.
  const at = (xs: Op[]) => { const tail = list.splice(k); for (const x of xs) list.push(x); for (const t of tail) list.push(t); };
  switch (r.int(14)) {
    case 0: list.splice(k, 1); return `delete op ${k}`;
    case 1: if (list[k]) list.splice(k, 0, list[k]!); return `repeat op ${k}`;
    case 2: if (list[k] && list[k + 1]) [list[k], list[k + 1]] = [list[k + 1]!, list[k]!]; return `swap ops ${k}`;
    case 3: at([n(r.pick(PLAIN))]); return `insert op ${k}`;
    case 4: at([ops.int(r.interesting())]); return `insert int ${k}`;
    case 5: { const [m, g] = r.pick(GLOBALS); at([ops.global(m, g)]); return `global ${m}.${g.slice(0, 20)} at ${k}`; }
    case 6: { // an integer argument set to a boundary value (offsets, sizes, strides, numel)
      const ints = list.map((o, i) => [o, i] as const).filter(([o]) => o.op === 0x4b || o.op === 0x4d || o.op === 0x4a);
      if (!ints.length) return "no int";
      const [, i] = r.pick(ints);
      list[i] = ops.int(r.interesting());
      return `int arg ${i}`;
    }
    case 7: { // a string argument changed: another storage key, a device, junk
      const strs = list.map((o, i) => [o, i] as const).filter(([o]) => o.op === 0x58 || o.op === 0x8c);
      if (!strs.length) return "no string";
      const [, i] = r.pick(strs);
      list[i] = r.chance(0.2) ? ops.str(Uint8Array.of(0xc3, 0x28)) : ops.str(r.pick(STRINGS));
      return `string arg ${i}`;
    }
    case 8: { // a DAG: x = (x, x) repeated, set as a key of the state dict
      const d = r.pick([20, 40, 64]);
      at([n(0x4e), ...Array.from({ length: d }, () => [n(0x32), n(0x86)]).flat(), n(0x4e), n(0x73)]);
      return `dag ${d} at ${k}`;
    }
    case 9: { const d = r.pick([1000, 10_000, 100_000]); at([deep(r, d), n(0x4e), n(0x73)]); return `deep ${d} at ${k}`; }
    case 10: at([{ op: -1, arg: new Uint8Array(r.pick([1000, 100_000])).fill(0x28) }]); return `mark storm ${k}`;
    case 11: at([r.chance(0.5) ? ops.put(r.pick([0, 255, 2 ** 32 - 1, r.int(1000)])) : ops.get(r.pick([0, 1, 255, 2 ** 32 - 1, r.int(1000)]))]); return `memo ${k}`;
    case 12: at([r.pick([ops.lyingStr(0x58, 2 ** 31, new Uint8Array(4)), ops.lyingStr(0x8d, 2 ** 60, new Uint8Array(4)), ops.lyingStr(0x42, 2 ** 32 - 1, new Uint8Array(0)),
      ops.frame(2 ** 62), ops.proto(r.pick([0, 5, 6, 255])), ops.long(r.bytes(r.pick([8, 9, 32, 255]))), ops.float(r.pick([NaN, Infinity, -0, 1e308]))])]);
    return `lying/odd op ${k}`;
    default: { const o = list[k]; if (o && o.arg.length) { const m = mutateBytes(r, o.arg); list[k] = { op: o.op, arg: m.bytes }; return `arg bytes ${k} ${m.what}`; } return "none"; }
  }
}

interface PickleCase { pkl: Uint8Array; zip?: Uint8Array }

function make(r: Rand): { data: PickleCase; what: string[] } {
  const seed = torchSeed(r, 0.3);
  const what = [seed.name];
  const es = seed.entries.slice();
  const pi = es.findIndex((e) => e.name.endsWith("data.pkl"));
  const list = disassemble(es[pi]!.data);
  for (let k = r.range(1, 4); k > 0; k--) what.push(opEdit(r, list));
  let pkl = assemble(list);
  if (r.chance(0.15)) { const m = mutateBytes(r, pkl); pkl = m.bytes; what.push(m.what); }
  if (r.chance(0.15)) return { data: { pkl }, what: [...what, "unpickle alone"] };
  es[pi] = { ...es[pi]!, data: pkl };
  return { data: { pkl, zip: torchZip(r, es, what).bytes }, what };
}

export const pickleTarget: Target = {
  name: "pickle",
  async setup() { loadTorchSeeds(); },
  make,
  async check(input) {
    const { pkl, zip } = input.data as PickleCase;
    if (!zip) { unpickle(pkl, { file: "fuzz.pkl" }); return; }
    checkTorchLoad(zip, await readTorchBinBoth(zip));
  },
  bytes: (input) => (input.data as PickleCase).zip ?? (input.data as PickleCase).pkl,
};
