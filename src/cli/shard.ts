// --shard i/N: which records a shard takes, and the record index its output carries so `germ merge` can put the
// shards back in input order. Record k (0-based, over all inputs) belongs to shard (k mod N) + 1: it streams
// (stdin too, no counting pass), every shard gets an equal share, and it depends on nothing but the input.
// Sharded outputs carry k: JSONL lines start {"index":k,…}, TSV rows have a first `index` column, an NPY's ids
// sidecar has `k<TAB>id` lines. `germ merge` drops it again, so merged shards are byte for byte the plain run.

/** `--shard i/N` (parsed in args.ts): the i-th (1-based) of N shards. */
export interface Shard { index: number; count: number }

/** One batch's text output with each row's record index put in (one line per row; a TSV header may come first). */
export function withIndex(chunk: string, indices: number[], format: "jsonl" | "tsv"): string {
  const lines = chunk.split("\n");
  lines.pop(); // the chunk ends in "\n"
  const header = lines.length - indices.length;
  if (header !== 0 && !(format === "tsv" && header === 1)) {
    throw new Error(`withIndex: ${lines.length} lines for ${indices.length} rows`);
  }
  return lines.map((l, i) => {
    if (i < header) return `index\t${l}\n`;
    const k = indices[i - header]!;
    return format === "tsv" ? `${k}\t${l}\n` : `{"index":${k},${l.slice(1)}\n`;
  }).join("");
}

/** A sharded output line without its index, and the index; undefined when the line has none. */
export function splitIndex(line: string, format: "jsonl" | "tsv"): { index: number; rest: string } | undefined {
  const m = format === "tsv" ? /^(\d+)\t/.exec(line) : /^\{"index":(\d+),/.exec(line);
  if (!m) return undefined;
  return { index: Number(m[1]), rest: format === "tsv" ? line.slice(m[0].length) : "{" + line.slice(m[0].length) };
}
