// Tokenizer throughput on random DNA (target ≥ 5 Mbp/s on one core): 1 MB as 2000 bp sequences,
// and one 100 kbp sequence (a single BPE "word"). Run: node build/bench/tokenizer.bench.js
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { readFileSync } from "node:fs";
import { DnaTokenizer } from "../src/tokenizer/tokenizer.js";
import { fixturesDir, NO_FIXTURES } from "../test/helpers/fixtures.js";
import { rng } from "../test/helpers/rng.js";

const REPEATS = 5;

/** Deterministic random DNA (the tests' seeded PRNG) so runs are comparable. */
function randomDna(n: number, seed: number): string {
  const bases = "ACGT", out: string[] = new Array(n), r = rng(seed);
  for (let i = 0; i < n; i++) out[i] = bases[Math.floor(r() * 4)];
  // join gives a flat string, like text read from a file; `+=` would build a rope that the first
  // charCodeAt has to flatten, and that cost would be charged to the tokenizer.
  return out.join("");
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Median Mbp/s over REPEATS runs of encoding all `seqs`. */
function measure(tok: DnaTokenizer, seqs: string[]): number {
  const bp = seqs.reduce((n, s) => n + s.length, 0);
  const rates: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    for (const s of seqs) tok.encode(s);
    rates.push(bp / 1e6 / ((performance.now() - t0) / 1000));
  }
  return median(rates);
}

/** mbpPerSec: 1 MB in 2000 bp sequences; mbpPerSecLong: one 100 kbp sequence. NaN + `skipped` without fixtures. */
export async function benchTokenizer(): Promise<{ mbpPerSec: number; mbpPerSecLong: number; skipped?: string }> {
  const dir = fixturesDir();
  if (dir === null) return { mbpPerSec: NaN, mbpPerSecLong: NaN, skipped: NO_FIXTURES };
  const tok = DnaTokenizer.fromJSON(readFileSync(join(dir, "tiny-softmax", "tokenizer.json"), "utf8"));
  const short = Array.from({ length: 500 }, (_, i) => randomDna(2000, i + 1));
  const long = [randomDna(100_000, 99)];
  for (const s of short.slice(0, 100)) tok.encode(s); // warm up the JIT
  return { mbpPerSec: measure(tok, short), mbpPerSecLong: measure(tok, long) };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchTokenizer();
  if (r.skipped) console.log(`tokenizer bench ${r.skipped}`);
  else {
    console.log(`tokenizer: 1 MB random DNA in 2000 bp sequences: ${r.mbpPerSec.toFixed(2)} Mbp/s (median of ${REPEATS})`);
    console.log(`tokenizer: one 100 kbp sequence:                ${r.mbpPerSecLong.toFixed(2)} Mbp/s (median of ${REPEATS})`);
  }
}
