// Bounded quotations of untrusted values for error messages. Never a value's own string form: a hostile file can nest
// containers 10^5 deep (JSON.stringify overflows the stack), share one subtree 2^40 times (exponential output), or
// hold a 100 MB string. Everything here is O(max) whatever the value.

/** `s` with control characters escaped, cut to `max` characters ("…" marks the cut). No quotes added. */
export function clip(s: string, max = 100): string {
  const t = JSON.stringify(s.length > max ? s.slice(0, max) : s).slice(1, -1);
  return s.length > max ? `${t}…` : t;
}

/** `s` as a JSON string literal, cut to `max` characters. */
export function quote(s: string, max = 60): string {
  return `"${clip(s, max)}"`;
}

/** A short description of any value: strings quoted and cut, numbers as written, containers by kind and size. */
export function preview(v: unknown, max = 60): string {
  if (typeof v === "string") return quote(v, max);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v).slice(0, max);
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v instanceof Map) return `a map of ${v.size}`;
  if (ArrayBuffer.isView(v)) return `${v.byteLength} bytes`;
  return typeof v === "object" ? "an object" : typeof v;
}

/** The first `n` items of a list of numbers, joined, with the count when there are more (shapes, strides). */
export function list(a: readonly unknown[], n = 8): string {
  const head = a.slice(0, n).map((x) => preview(x, 20)).join(", ");
  return a.length > n ? `${head}, … (${a.length} in all)` : head;
}
