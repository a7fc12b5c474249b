// BPE word model: merges keyed by integer id pairs over a linked list of symbols, popped lowest rank first
// (leftmost on ties) as HF `tokenizers` Word::merge_all does: a bucket per rank (O(1) per step) when the merge
// list allows it, else a min-heap (O(n log n)). A DNA sequence is one long "word", so the quadratic
// "find best pair, rescan" loop of simple BPE ports is far too slow here.
import { InputError } from "../errors.js";

// Heap key = rank·2^32 + pos: one f64 compare orders by (rank, then leftmost pos), the order of HF's
// BinaryHeap<Merge>. rank < 2^21 and pos < 2^32 keep it below 2^53, so it stays exact.
const POS_SCALE = 4294967296;
// HF caches whole-word results too; long words (a whole DNA read) almost never repeat, so only short ones.
const CACHE_MAX_CHARS = 64;
const CACHE_MAX_ENTRIES = 20000;

export interface BpeOptions {
  vocab: Map<string, number>;
  merges: Array<[string, string]>;
  unkId: number | null;
  fuseUnk: boolean;
  ignoreMerges: boolean;
  /** "heap" forces the general path (tests compare it with the bucket path). Default "auto". */
  strategy?: "auto" | "heap";
}

export class Bpe {
  private readonly vocab: Map<string, number>;
  private readonly unkId: number;
  private readonly fuseUnk: boolean;
  private readonly ignoreMerges: boolean;
  /** id of each single ASCII char, -1 when absent (→ unk). */
  private readonly asciiId = new Int32Array(128).fill(-1);
  // Open-addressing table (a, b) → merge rank; `shift` takes the top bits of a Fibonacci hash.
  private readonly keyA: Int32Array;
  private readonly keyB: Int32Array;
  private readonly rankOf: Int32Array;
  private readonly shift: number;
  private readonly mask: number;
  /** id of the token that merge `rank` produces. */
  private readonly newIdByRank: Int32Array;
  /** left/right ids of merge `rank`: validating a popped entry is two compares, not a hash probe. */
  private readonly leftByRank: Int32Array;
  private readonly rightByRank: Int32Array;
  private readonly cache = new Map<string, Int32Array>();
  // Scratch buffers reused across words (grown on demand) so encoding allocates almost nothing.
  private sym = new Int32Array(256);
  private nxt = new Int32Array(256);
  private prv = new Int32Array(256);
  private heap = new Float64Array(768);
  /** True when every merge using token t ranks after every merge producing t (see `isMonotone`). */
  readonly bucketed: boolean;
  // Bucket queue: head entry per rank (-1 = empty), a bitset of non-empty ranks, entry pool (pos, next).
  private readonly bucketHead: Int32Array;
  private readonly bucketBits: Int32Array;
  private ePos = new Int32Array(768);
  private eNext = new Int32Array(768);
  private ord = new Int32Array(256);

  constructor(o: BpeOptions) {
    this.vocab = o.vocab;
    this.unkId = o.unkId ?? -1;
    this.fuseUnk = o.fuseUnk;
    this.ignoreMerges = o.ignoreMerges;
    for (let c = 0; c < 128; c++) this.asciiId[c] = o.vocab.get(String.fromCharCode(c)) ?? -1;
    let bits = 4;
    while (1 << bits < 2 * o.merges.length + 16) bits++;
    this.shift = 32 - bits;
    this.mask = (1 << bits) - 1;
    this.keyA = new Int32Array(1 << bits).fill(-1);
    this.keyB = new Int32Array(1 << bits);
    this.rankOf = new Int32Array(1 << bits);
    this.newIdByRank = new Int32Array(o.merges.length);
    this.leftByRank = new Int32Array(o.merges.length);
    this.rightByRank = new Int32Array(o.merges.length);
    o.merges.forEach(([a, b], rank) => {
      const ia = o.vocab.get(a)!, ib = o.vocab.get(b)!;
      this.newIdByRank[rank] = o.vocab.get(a + b)!;
      this.leftByRank[rank] = ia;
      this.rightByRank[rank] = ib;
      let h = this.hash(ia, ib);
      while (this.keyA[h] !== -1 && !(this.keyA[h] === ia && this.keyB[h] === ib)) h = (h + 1) & this.mask;
      // A repeated pair keeps its last rank, as a Rust HashMap built from the merges list does.
      this.keyA[h] = ia; this.keyB[h] = ib; this.rankOf[h] = rank;
    });
    this.bucketed = o.strategy !== "heap" && this.isMonotone(o.merges.length);
    this.bucketHead = new Int32Array(this.bucketed ? o.merges.length : 0).fill(-1);
    this.bucketBits = new Int32Array(this.bucketed ? (o.merges.length + 31) >> 5 : 0);
  }

  /**
   * Pairs created by a merge of rank r then always rank above r, so the lowest non-empty bucket only moves
   * up and a bucket queue pops exactly what HF's heap would. True for any trained merge list; checked anyway.
   */
  private isMonotone(nMerges: number): boolean {
    const produceMax = new Map<number, number>(), useMin = new Map<number, number>();
    for (let h = 0; h < this.keyA.length; h++) {
      if (this.keyA[h] === -1) continue; // only ranks left in the table can ever be used
      const r = this.rankOf[h], t = this.newIdByRank[r];
      produceMax.set(t, Math.max(produceMax.get(t) ?? -1, r));
      for (const u of [this.keyA[h], this.keyB[h]]) useMin.set(u, Math.min(useMin.get(u) ?? nMerges, r));
    }
    for (const [t, r] of produceMax) if ((useMin.get(t) ?? nMerges) <= r) return false;
    return true;
  }

  private hash(a: number, b: number): number {
    return Math.imul(a ^ Math.imul(b, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  /** Rank of the merge (a, b), or -1. */
  private rank(a: number, b: number): number {
    let h = Math.imul(a ^ Math.imul(b, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
    for (;;) {
      const ka = this.keyA[h];
      if (ka === a && this.keyB[h] === b) return this.rankOf[h];
      if (ka === -1) return -1;
      h = (h + 1) & this.mask;
    }
  }

  /** Appends the ids of text[start, end) — one pre-tokenized word — to `out`. */
  encodeWord(text: string, start: number, end: number, out: number[]): void {
    if (end <= start) return;
    let key: string | null = null;
    if (end - start <= CACHE_MAX_CHARS) {
      key = text.slice(start, end);
      const hit = this.cache.get(key);
      if (hit !== undefined) { for (let i = 0; i < hit.length; i++) out.push(hit[i]); return; }
      const whole = this.ignoreMerges ? this.vocab.get(key) : undefined;
      if (whole !== undefined) { out.push(whole); return; }
    } else if (this.ignoreMerges) {
      const whole = this.vocab.get(text.slice(start, end));
      if (whole !== undefined) { out.push(whole); return; }
    }
    const n = this.initSymbols(text, start, end);
    if (this.bucketed) this.mergeBuckets(n);
    else this.mergeHeap(n);
    const before = out.length;
    for (let i = 0; i >= 0; i = this.nxt[i]) out.push(this.sym[i]);
    if (key !== null) {
      if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear();
      this.cache.set(key, Int32Array.from(out.slice(before)));
    }
  }

  /** One symbol per code point; chars missing from the vocab become unk (fused when fuse_unk). */
  private initSymbols(text: string, start: number, end: number): number {
    const cap = end - start;
    if (this.sym.length < cap) this.grow(cap);
    const sym = this.sym, nxt = this.nxt, prv = this.prv, ascii = this.asciiId;
    let n = 0;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      let id: number, cp = c;
      if (c < 128) id = ascii[c];
      else {
        // Rust iterates chars (code points): keep surrogate pairs together.
        cp = text.codePointAt(i)!;
        if (cp > 0xffff) i++;
        id = this.vocab.get(String.fromCodePoint(cp)) ?? -1;
      }
      if (id < 0) {
        if (this.unkId < 0) throw new InputError(`tokenizer: character U+${cp.toString(16).toUpperCase()} is not in the vocabulary and there is no unk_token`);
        if (this.fuseUnk && n > 0 && sym[n - 1] === this.unkId) continue;
        id = this.unkId;
      }
      sym[n] = id; prv[n] = n - 1; nxt[n] = n + 1; n++;
    }
    nxt[n - 1] = -1;
    return n;
  }

  private grow(cap: number): void {
    const size = Math.max(cap, this.sym.length * 2);
    this.sym = new Int32Array(size);
    this.nxt = new Int32Array(size);
    this.prv = new Int32Array(size);
    this.heap = new Float64Array(3 * size);
    this.ePos = new Int32Array(3 * size);
    this.eNext = new Int32Array(3 * size);
    this.ord = new Int32Array(size);
  }

  /**
   * Bucket-queue merge_all (only when `bucketed`). Within one rank the order matters only for a pair (a, a),
   * whose occurrences can overlap: those are sorted so the leftmost wins; disjoint pairs commute.
   */
  private mergeBuckets(n: number): void {
    const sym = this.sym, nxt = this.nxt, prv = this.prv, ePos = this.ePos, eNext = this.eNext, ord = this.ord;
    const head = this.bucketHead, bits = this.bucketBits;
    const leftByRank = this.leftByRank, rightByRank = this.rightByRank, newIdByRank = this.newIdByRank;
    let en = 0;
    for (let i = 0; i + 1 < n; i++) {
      const r = this.rank(sym[i], sym[i + 1]);
      if (r < 0) continue;
      if (head[r] < 0) bits[r >> 5] |= 1 << (r & 31);
      ePos[en] = i; eNext[en] = head[r]; head[r] = en++;
    }
    for (let w = 0; w < bits.length; w++) {
      while (bits[w] !== 0) {
        const x = bits[w];
        bits[w] = x & (x - 1);
        const rank = (w << 5) | (31 - Math.clz32(x & -x));
        let k = 0;
        for (let e = head[rank]; e >= 0; e = eNext[e]) ord[k++] = ePos[e];
        head[rank] = -1;
        const a = leftByRank[rank], b = rightByRank[rank], id = newIdByRank[rank];
        if (a === b && k > 1) ord.subarray(0, k).sort();
        for (let j = 0; j < k; j++) {
          const pos = ord[j], q = nxt[pos];
          if (sym[pos] !== a || q < 0 || sym[q] !== b) continue; // consumed by an earlier merge
          const r2 = this.fuse(pos, q, id);
          const p = prv[pos];
          if (p >= 0) {
            const rr = this.rank(sym[p], id);
            if (rr >= 0) { if (head[rr] < 0) bits[rr >> 5] |= 1 << (rr & 31); ePos[en] = p; eNext[en] = head[rr]; head[rr] = en++; }
          }
          if (r2 >= 0) {
            const rr = this.rank(id, sym[r2]);
            if (rr >= 0) { if (head[rr] < 0) bits[rr >> 5] |= 1 << (rr & 31); ePos[en] = pos; eNext[en] = head[rr]; head[rr] = en++; }
          }
        }
      }
    }
  }

  /** Merge the pair at pos and its right neighbour q into symbol id; unlink q. Returns q's old right neighbour. */
  private fuse(pos: number, q: number, id: number): number {
    const nxt = this.nxt;
    this.sym[pos] = id;
    this.sym[q] = -1;
    const r2 = nxt[q];
    nxt[pos] = r2;
    if (r2 >= 0) this.prv[r2] = pos;
    return r2;
  }

  /** General merge_all: min-heap of (rank, pos); stale entries are skipped on pop. */
  private mergeHeap(n: number): void {
    const sym = this.sym, nxt = this.nxt, prv = this.prv, heap = this.heap, newIdByRank = this.newIdByRank;
    const leftByRank = this.leftByRank, rightByRank = this.rightByRank;
    let hn = 0;
    for (let i = 0; i + 1 < n; i++) {
      const r = this.rank(sym[i], sym[i + 1]);
      if (r >= 0) heap[hn++] = r * POS_SCALE + i;
    }
    for (let i = (hn >> 1) - 1; i >= 0; i--) siftDown(heap, i, hn);
    while (hn > 0) {
      const top = heap[0];
      hn--;
      if (hn > 0) { heap[0] = heap[hn]; siftDown(heap, 0, hn); }
      const rank = Math.floor(top / POS_SCALE);
      const pos = top - rank * POS_SCALE;
      const a = sym[pos];
      const q = nxt[pos];
      // Stale entry: left symbol already absorbed, no right neighbour, or the pair changed since the push.
      if (a !== leftByRank[rank] || q < 0 || sym[q] !== rightByRank[rank]) continue;
      const id = newIdByRank[rank];
      const r2 = this.fuse(pos, q, id);
      const p = prv[pos];
      if (p >= 0) {
        const rr = this.rank(sym[p], id);
        if (rr >= 0) hn = siftUp(heap, hn, rr * POS_SCALE + p);
      }
      if (r2 >= 0) {
        const rr = this.rank(id, sym[r2]);
        if (rr >= 0) hn = siftUp(heap, hn, rr * POS_SCALE + pos);
      }
    }
  }
}

function siftDown(heap: Float64Array, i: number, n: number): void {
  const v = heap[i];
  for (;;) {
    let c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && heap[c + 1] < heap[c]) c++;
    if (heap[c] >= v) break;
    heap[i] = heap[c];
    i = c;
  }
  heap[i] = v;
}

/** Pushes v onto a heap of n entries; returns the new size. */
function siftUp(heap: Float64Array, n: number, v: number): number {
  let i = n;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (heap[p] <= v) break;
    heap[i] = heap[p];
    i = p;
  }
  heap[i] = v;
  return n + 1;
}
