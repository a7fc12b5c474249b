// Work sharing between threads: each op's chunks are claimed from one counter in the op's argument block,
// so a thread that a busy machine slows down simply claims fewer chunks (dynamic, not static, split).

/** Claim the next chunk index (atomic in the threaded build; a plain increment otherwise). */
@inline export function claim(counter: usize): i32 {
  if (ASC_FEATURE_THREADS) return atomic.add<i32>(counter, 1);
  const v = load<i32>(counter);
  store<i32>(counter, v + 1);
  return v;
}

/** Argument slot i (i32) of an op's argument block; slot 0 = opcode, slot 1 = chunk counter. */
@inline export function arg(a: usize, i: i32): i32 { return load<i32>(a + (<usize>i << 2)); }
@inline export function argp(a: usize, i: i32): usize { return <usize>load<u32>(a + (<usize>i << 2)); }
@inline export function argf(a: usize, i: i32): f32 { return load<f32>(a + (<usize>i << 2)); }
export const COUNTER: usize = 4;
