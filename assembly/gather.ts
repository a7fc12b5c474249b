// gather: out[r] = table[ids[r]] (+ addRow); meanPool: out[s] = mean of sequence s's rows.
// A table that linear() packed in place (the tied MLM decoder) is read through the panel layout.
import { arg, argp, claim, COUNTER } from "./sched";

// args: 2 table, 3 ids (i32[nids]), 4 nids, 5 addRow (0 = none), 6 out, 7 cols, 8 packed (rows below packedRows are panels)
export function gather(a: usize): void {
  const table = argp(a, 2), ids = argp(a, 3), nids = arg(a, 4), add = argp(a, 5), out = argp(a, 6);
  const cols = arg(a, 7), packedRows = arg(a, 8);
  const chunks = (nids + 15) >> 4, c4 = cols & ~3;
  for (let c = claim(a + COUNTER); c < chunks; c = claim(a + COUNTER)) {
    for (let r = c << 4, r1 = min(nids, r + 16); r < r1; r++) {
      const id = load<i32>(ids + (<usize>r << 2));
      const o = out + (<usize>r * cols << 2);
      if (id < packedRows) {
        const base = table + ((<usize>(id >> 3) * cols * 8 + (id & 7)) << 2);
        for (let j = 0; j < cols; j++) {
          store<f32>(o + (<usize>j << 2), load<f32>(base + (<usize>j << 5)) + (add != 0 ? load<f32>(add + (<usize>j << 2)) : 0));
        }
        continue;
      }
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

// args: 2 x, 3 out, 4 seqs (i32 pairs start,len), 5 nseq, 6 cols
export function meanPool(a: usize): void {
  const x = argp(a, 2), out = argp(a, 3), seqs = argp(a, 4), nseq = arg(a, 5), cols = arg(a, 6);
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
