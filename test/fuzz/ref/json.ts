// Reference JSON reader for the fuzz oracles: iterative (any depth), and objects keep every key in order, duplicates
// included, so an oracle can tell "a": 1, "a": 2 from a single "a". Leaves are decoded by JSON.parse itself, so
// what counts as a valid string or number is exactly what JSON.parse says.

export type RefJson = null | boolean | number | string | RefJson[] | RefObject;

export class RefObject {
  constructor(readonly entries: [string, RefJson][]) {}
  keys(): string[] { return this.entries.map(([k]) => k); }
  get(k: string): RefJson | undefined { for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]![0] === k) return this.entries[i]![1]; return undefined; }
  duplicate(): string | undefined { const s = new Set<string>(); for (const [k] of this.entries) { if (s.has(k)) return k; s.add(k); } return undefined; }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Parse `s`; throws SyntaxError on anything JSON.parse would refuse (as far as structure goes). */
export function parseRefJson(s: string): RefJson {
  let p = 0;
  const ws = () => { while (p < s.length && (s[p] === " " || s[p] === "\t" || s[p] === "\n" || s[p] === "\r")) p++; };
  const bad = (what: string): never => { throw new SyntaxError(`ref json: ${what} at ${p}`); };
  const str = (): string => {
    let q = p + 1;
    for (;;) {
      const c = s.charCodeAt(q);
      if (Number.isNaN(c)) bad("unterminated string");
      if (c === 0x22) break;
      q += c === 0x5c ? 2 : 1;
    }
    const v = JSON.parse(s.slice(p, q + 1)) as string;
    p = q + 1;
    return v;
  };
  const leaf = (): RefJson => {
    const c = s[p];
    if (c === '"') return str();
    for (const [lit, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (s.startsWith(lit, p)) { p += lit.length; return v; }
    }
    NUMBER.lastIndex = p;
    const m = NUMBER.exec(s);
    if (!m) return bad("unexpected character");
    p += m[0].length;
    return JSON.parse(m[0]) as number;
  };
  // Frames: an array being filled, or an object with the key whose value comes next.
  type Frame = { a: RefJson[] } | { o: [string, RefJson][]; key?: string };
  const stack: Frame[] = [];
  let result: RefJson | undefined;
  let value: RefJson | undefined;
  for (;;) {
    ws();
    const top = stack[stack.length - 1];
    if (top && "o" in top && top.key === undefined) {
      // Expecting a key (or the end of the object).
      if (s[p] === "}" && top.o.length === 0) { p++; stack.pop(); value = new RefObject(top.o); }
      else {
        if (s[p] !== '"') bad("expected a key");
        top.key = str();
        ws();
        if (s[p++] !== ":") bad("expected ':'");
        continue;
      }
    } else if (top && "a" in top && s[p] === "]" && top.a.length === 0) {
      p++; stack.pop(); value = top.a;
    } else if (s[p] === "[") { p++; stack.push({ a: [] }); continue; }
    else if (s[p] === "{") { p++; stack.push({ o: [] }); continue; }
    else value = leaf();
    // A value is complete: give it to its container, then close as many containers as end here.
    for (;;) {
      const f = stack[stack.length - 1];
      if (!f) { result = value; break; }
      if ("a" in f) f.a.push(value!); else { f.o.push([f.key!, value!]); f.key = undefined; }
      ws();
      if (s[p] === ",") { p++; break; }
      const close = "a" in f ? "]" : "}";
      if (s[p] !== close) bad(`expected ',' or '${close}'`);
      p++;
      stack.pop();
      value = "a" in f ? f.a : new RefObject(f.o);
    }
    if (stack.length === 0) break;
  }
  ws();
  if (p !== s.length) bad("trailing characters");
  return result!;
}
