// gather: out[r] = table[ids[r]] (+ addRow), table row-major; meanPool: out[s] = mean of sequence s's rows;
// scatterRows: gather's gradient.
import { claim, COUNTER } from "./sched";
import { Gather, MeanPool, ScatterRows } from "./generated/args";

// ids: i32[nids]; addRow 0 = none
export function gather(a: usize): void {
  const table = Gather.table(a), ids = Gather.ids(a), nids = Gather.nids(a), add = Gather.addRow(a), out = Gather.out(a);
  const cols = Gather.cols(a);
  const chunks = (nids + 15) >> 4, c4 = cols & ~3;
  for (let c = claim(a + COUNTER); c < chunks; c = claim(a + COUNTER)) {
    for (let r = c << 4, r1 = min(nids, r + 16); r < r1; r++) {
      const id = load<i32>(ids + (<usize>r << 2));
      const o = out + (<usize>r * cols << 2);
      const src = table + (<usize>id * cols << 2);
      let j = 0;
      if (add != 0) {
        for (; j < c4; j += 4) v128.store(o + (<usize>j << 2), f32x4.add(v128.load(src + (<usize>j << 2)), v128.load(add + (<usize>j << 2))));
        for (; j < cols; j++) store<f32>(o + (<usize>j << 2), load<f32>(src + (<usize>j << 2)) + load<f32>(add + (<usize>j << 2)));
      } else {
        memory.copy(o, src, <usize>cols << 2);
      }
    }
  }
}

// seqs: i32 pairs (start, len)
export function meanPool(a: usize): void {
  const x = MeanPool.x(a), out = MeanPool.out(a), seqs = MeanPool.seqs(a), nseq = MeanPool.nseq(a), cols = MeanPool.cols(a);
  const c4 = cols & ~3;
  for (let s = claim(a + COUNTER); s < nseq; s = claim(a + COUNTER)) {
    const start = load<i32>(seqs + (<usize>s << 3)), n = load<i32>(seqs + (<usize>s << 3) + 4);
    const o = out + (<usize>s * cols << 2);
    const f: f32 = n > 0 ? 1 / <f32>n : 0;
    let j = 0;
    for (; j < c4; j += 4) {
      let acc = f32x4.splat(0);
      for (let r = 0; r < n; r++) acc = f32x4.add(acc, v128.load(x + ((<usize>(start + r) * cols + j) << 2)));
      v128.store(o + (<usize>j << 2), f32x4.mul(acc, f32x4.splat(f)));
    }
    for (; j < cols; j++) {
      let acc: f32 = 0;
      for (let r = 0; r < n; r++) acc += load<f32>(x + ((<usize>(start + r) * cols + j) << 2));
      store<f32>(o + (<usize>j << 2), acc * f);
    }
  }
}

const SCATTER_COLS = 64;

// scatterRows (gather's gradient): out = 0, then out[ids[i]] += x[i] in i order. A chunk owns a block of columns
// of every row, so zeroing and adding need no barrier between threads and repeated ids sum in the same order.
export function scatterRows(a: usize): void {
  const x = ScatterRows.x(a), ids = ScatterRows.ids(a), nids = ScatterRows.nids(a), out = ScatterRows.out(a);
  const rows = ScatterRows.rows(a), cols = ScatterRows.cols(a), ld = <usize>cols << 2;
  const chunks = (cols + SCATTER_COLS - 1) / SCATTER_COLS;
  for (let c = claim(a + COUNTER); c < chunks; c = claim(a + COUNTER)) {
    const j0 = c * SCATTER_COLS, w = min(cols, j0 + SCATTER_COLS) - j0, w4 = w & ~3;
    const o0 = out + (<usize>j0 << 2), x0 = x + (<usize>j0 << 2);
    for (let r = 0; r < rows; r++) memory.fill(o0 + <usize>r * ld, 0, <usize>w << 2);
    for (let i = 0; i < nids; i++) {
      const o = o0 + <usize>load<i32>(ids + (<usize>i << 2)) * ld, src = x0 + <usize>i * ld;
      let j = 0;
      for (; j < w4; j += 4) { const p = o + (<usize>j << 2); v128.store(p, f32x4.add(v128.load(p), v128.load(src + (<usize>j << 2)))); }
      for (; j < w; j++) { const p = o + (<usize>j << 2); store<f32>(p, load<f32>(p) + load<f32>(src + (<usize>j << 2))); }
    }
  }
}
