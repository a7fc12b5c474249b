// attention → shaders/attention.wgsl: a block table (one entry per 16 queries of a sequence) lets one dispatch
// cover a whole varlen batch with no idle workgroups; host arrays (blocks, slopes, key mask) go to small storage buffers.
import type { OpArgs } from "../../../ops/spec.js";
import { fold, type KernelContext } from "./context.js";

export const ATTENTION_MAX_HEAD_DIM = 128;
const BQ = 16; // queries per workgroup (shaders/attention.wgsl BQ)

export function attention(k: KernelContext, a: OpArgs["attention"]): void {
  const blocks: number[] = [];
  let start = 0;
  for (const n of a.seqLens) {
    for (let q = 0; q < n; q += BQ) blocks.push(start, n, q, 0);
    start += n;
  }
  const count = blocks.length / 4;
  if (count === 0) return;
  const { groups, gridX } = fold(count, k.maxWorkgroups);
  const mask = a.keyMask ? k.host(Uint32Array.from(a.keyMask)) : k.opt(undefined);
  k.dispatch("attention", { SOFTMAX1: a.softmax === "softmax1", HAS_MASK: a.keyMask !== undefined },
    [k.buf(a.qkv), k.host(Uint32Array.from(blocks)), k.host(Float32Array.from(a.slopes)), mask, k.buf(a.out)],
    { heads: a.heads, headDim: a.headDim, scale: 1 / Math.sqrt(a.headDim), gridX, blocks: count }, [...groups, a.heads]);
}
