// Structured mutations of JSON documents (config.json, tokenizer.json, safetensors headers): a value somewhere in the
// tree replaced by a hostile one (boundary numbers, long strings, wrong types, nesting 10^2–10^5 deep, 10^5-wide
// arrays), keys deleted, renamed or duplicated, arrays cut, repeated or shuffled. Forms only text can hold (1e999,
// -0, duplicate keys, deep nesting) go in as marker strings that serialize() swaps for raw text.
import { INTERESTING, type Rand } from "./rand.js";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Key = string | number;

/** A document being mutated: `value` holds marker strings where `raws` (raw JSON text) will go. */
export class JsonDoc {
  readonly raws: string[] = [];
  constructor(public value: Json) {}
  /** A marker for raw JSON text, to be placed as a value (or as an object key: a duplicate key). */
  raw(text: string): string { this.raws.push(text); return `\u0000RAW${this.raws.length - 1}\u0000`; }
  serialize(): string {
    let s = JSON.stringify(this.value);
    // Later markers may sit inside earlier raws' text only if placed there; replace newest first.
    for (let k = this.raws.length - 1; k >= 0; k--) s = s.split(JSON.stringify(`\u0000RAW${k}\u0000`)).join(this.raws[k]!);
    return s;
  }
}

const isObj = (v: unknown): v is { [k: string]: Json } => typeof v === "object" && v !== null && !Array.isArray(v);

/** Keys of a container (arrays: indices). */
function keysOf(v: Json): Key[] {
  if (Array.isArray(v)) return v.map((_, i) => i);
  return isObj(v) ? Object.keys(v) : [];
}

function get(v: Json, path: readonly Key[]): Json | undefined {
  let x: Json | undefined = v;
  for (const k of path) x = x === null || typeof x !== "object" ? undefined : (x as Record<Key, Json>)[k];
  return x;
}

/** A random path below `prefix` (which must exist): each step descends with probability `deeper`. */
export function randomPath(r: Rand, root: Json, prefix: readonly Key[] = [], deeper = 0.6): Key[] {
  const path = [...prefix];
  let node = get(root, path);
  while (node !== undefined && node !== null && typeof node === "object" && r.chance(deeper)) {
    const ks = keysOf(node);
    if (ks.length === 0) break;
    const k = r.pick(ks);
    path.push(k);
    node = (node as Record<Key, Json>)[k];
  }
  return path;
}

const DELETE = Symbol("delete");

/** Copy-on-write update: containers along `path` are shallow-copied, the leaf replaced by fn(old). */
function update(v: Json, path: readonly Key[], fn: (old: Json | undefined, parent: Json) => Json | typeof DELETE, d = 0): Json {
  if (d === path.length - 1 || path.length === 0) {
    if (path.length === 0) { const n = fn(v, v); return n === DELETE ? null : n; }
    const k = path[d]!;
    const copy: Json = Array.isArray(v) ? v.slice() : isObj(v) ? { ...v } : v;
    if (copy === null || typeof copy !== "object") return copy;
    const n = fn((copy as Record<Key, Json>)[k], copy);
    if (n === DELETE) { if (Array.isArray(copy)) copy.splice(k as number, 1); else delete (copy as Record<Key, Json>)[k]; }
    else (copy as Record<Key, Json>)[k] = n;
    return copy;
  }
  if (v === null || typeof v !== "object") return v;
  const copy: Json = Array.isArray(v) ? v.slice() : { ...v };
  const k = path[d]!;
  (copy as Record<Key, Json>)[k] = update((copy as Record<Key, Json>)[k]!, path, fn, d + 1);
  return copy;
}

const LONG = [100, 10_000, 100_000];
const DEEP = [100, 1000, 10_000, 100_000];

/** A value no honest file holds where `old` was. */
export function hostileValue(r: Rand, doc: JsonDoc, old?: Json): Json {
  const kind = r.weighted([
    [4, "number"], [2, "rawnum"], [3, "string"], [1, "null"], [1, "bool"], [1, "empty"], [1, "deep"], [0.5, "wide"], [1, "tweak"],
  ] as const);
  switch (kind) {
    case "number": return r.pick(INTERESTING);
    case "rawnum": return doc.raw(r.pick(["1e999", "-1e999", "-0", "1e-400", "123456789012345678901234567890", "0.1e1", "4096.0", "1E3"]));
    case "string": return r.pick(["", "x".repeat(r.pick(LONG)), "\u0000", "\ud800", "__proto__", "constructor", "toString", "[CLS]", "F32", "A", "é漢🧬"]);
    case "null": return null;
    case "bool": return r.chance(0.5);
    case "empty": return r.pick([[], {}, [0], { a: 1 }, [[]], ["A", "B"]] as Json[]);
    case "deep": {
      const d = r.pick(DEEP);
      return doc.raw(r.chance(0.5) ? "[".repeat(d) + "]".repeat(d) : '{"type":'.repeat(d) + "1" + "}".repeat(d));
    }
    case "wide": { const n = r.pick([1000, 100_000]); return doc.raw(`[${"0,".repeat(n - 1)}0]`); }
    default:
      if (typeof old === "number") return r.pick([old + 1, old - 1, old * 2, -old, old + 0.5, old * 2 ** 20]);
      if (typeof old === "string") return r.pick([old.slice(1), old + old, old.toUpperCase(), `${old} `, old.repeat(Math.min(1000, Math.ceil(100_000 / (old.length || 1))))]);
      if (Array.isArray(old)) return r.pick([old.slice(0, -1), old.length < 100_000 ? [...old, ...old] : old, [...old].reverse(), [old]]);
      return r.pick(INTERESTING);
  }
}

/**
 * One structural edit at a random path below `prefix`: replace, delete, duplicate or rename a key, swap with another
 * node, or an array edit. Returns what was done (for reports).
 */
export function mutateJson(r: Rand, doc: JsonDoc, prefix: readonly Key[] = []): string {
  if (get(doc.value, prefix) === undefined) prefix = [];
  const path = randomPath(r, doc.value, prefix);
  const name = path.join(".").slice(0, 80);
  // Keys are renamed or duplicated in objects only: an array given index "4294967294" would be 2^32 long.
  const inArray = Array.isArray(get(doc.value, path.slice(0, -1)));
  const op = path.length === 0 ? "replace" : r.weighted([
    [5, "replace"], [2, "delete"], [inArray ? 0 : 1.5, "dupkey"], [inArray ? 0 : 1, "rename"], [1, "swap"], [1.5, "array"],
  ] as const);
  switch (op) {
    case "replace": doc.value = update(doc.value, path, (old) => hostileValue(r, doc, old)); return `replace ${name}`;
    case "delete": doc.value = update(doc.value, path, () => DELETE); return `delete ${name}`;
    case "dupkey": {
      const key = path[path.length - 1]!, val = hostileValue(r, doc, get(doc.value, path));
      const m = doc.raw(JSON.stringify(String(key)));
      doc.value = update(doc.value, path.slice(0, -1).concat([m]), () => (r.chance(0.5) ? (get(doc.value, path) ?? null) : val));
      return `dupkey ${name}`;
    }
    case "rename": {
      const old = get(doc.value, path) ?? null;
      doc.value = update(doc.value, path, () => DELETE);
      const to = r.pick([`${path[path.length - 1]}x`, "", " ", "__proto__", String(r.interesting()), "x".repeat(10_000)]);
      doc.value = update(doc.value, path.slice(0, -1).concat([to]), () => old);
      return `rename ${name}`;
    }
    case "swap": {
      const other = randomPath(r, doc.value, [], 0.8), v = get(doc.value, other) ?? null;
      doc.value = update(doc.value, path, () => v);
      return `swap ${name} <- ${other.join(".").slice(0, 60)}`;
    }
    default:
      doc.value = update(doc.value, path, (old) => {
        if (!Array.isArray(old)) return hostileValue(r, doc, old);
        const a = old.slice();
        const k = r.int(Math.max(1, a.length));
        switch (r.int(5)) {
          case 0: return a.slice(0, r.int(a.length + 1));
          case 1: a.splice(k, 0, a[k] ?? null); return a;
          case 2: return a.reverse();
          case 3: a.push(hostileValue(r, doc)); return a;
          default: { const j = r.int(Math.max(1, a.length)); [a[k], a[j]] = [a[j] ?? null, a[k] ?? null]; return a; }
        }
      });
      return `array ${name}`;
  }
}
