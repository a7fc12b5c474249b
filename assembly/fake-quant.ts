// fakeQuant: each row of x quantized to `bits` and back (contract/formats.ts fakeQuantRows, the exact definition):
// asymmetric min–max per row, or symmetric max|x|; f32 division and round-half-even (nearest), as the reference.
import { claim, COUNTER } from "./sched";
import { FakeQuant } from "./generated/args";

export function fakeQuant(a: usize): void {
  const x = FakeQuant.x(a), out = FakeQuant.out(a), rows = FakeQuant.rows(a), cols = FakeQuant.cols(a);
  const bits = FakeQuant.bits(a), symmetric = FakeQuant.symmetric(a) != 0, hasRange = FakeQuant.hasRange(a) != 0;
  const levels: f32 = symmetric ? <f32>((1 << (bits - 1)) - 1) : <f32>((1 << bits) - 1);
  for (let r = claim(a + COUNTER); r < rows; r = claim(a + COUNTER)) {
    const xr = x + (<usize>r * cols << 2), o = out + (<usize>r * cols << 2);
    let lo: f32 = Infinity, hi: f32 = -Infinity;
    if (hasRange) { lo = FakeQuant.lo(a); hi = FakeQuant.hi(a); } // a static per-tensor range (calibration)
    else for (let c = 0; c < cols; c++) { const v = load<f32>(xr + (<usize>c << 2)); lo = min(lo, v); hi = max(hi, v); }
    const scale: f32 = symmetric ? max(abs(lo), abs(hi)) / levels : (hi - lo) / levels;
    if (!(scale > 0)) { memory.copy(o, xr, <usize>cols << 2); continue; }
    const zero: f32 = symmetric ? 0 : nearest(-lo / scale);
    const qlo: f32 = symmetric ? -levels : 0;
    for (let c = 0; c < cols; c++) {
      const q = min(levels, max(qlo, nearest(load<f32>(xr + (<usize>c << 2)) / scale) + zero));
      store<f32>(o + (<usize>c << 2), (q - zero) * scale);
    }
  }
}
