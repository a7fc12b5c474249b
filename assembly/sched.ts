// Work sharing between threads: each op's chunks are claimed from one counter in the op's argument block,
// so a thread that a busy machine slows down simply claims fewer chunks (dynamic, not static, split).

/** Claim the next chunk index (atomic in the threaded build; a plain increment otherwise). */
@inline export function claim(counter: usize): i32 {
  if (ASC_FEATURE_THREADS) return atomic.add<i32>(counter, 1);
  const v = load<i32>(counter);
  store<i32>(counter, v + 1);
  return v;
}

/** Byte offset of the chunk counter in every argument block (slot 1; slot 0 is the opcode, fields follow: abi.json). */
export const COUNTER: usize = 4;
