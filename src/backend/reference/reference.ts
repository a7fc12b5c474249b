// The reference backend: plain TypeScript loops with float64 accumulation over raw byte buffers. It is the oracle
// every other backend is tested against (weights decoded by formats.ts's reference decoders), so it favours
// obviousness over speed. One kernel file per op family; it implements every op and every format.
import type { Backend, BackendCaps, BackendFactory, BufferId, Support } from "../../contract/backend.js";
import type { OpArgs, OpName, OpNeeds, WeightArg } from "../../contract/spec.js";
import { FORMATS } from "../../contract/formats.js";
import { tableRun, tableSupports, type KernelTable } from "../../contract/kernels.js";
import { BackendError } from "../../errors.js";
import type { RefContext } from "./context.js";
import { linear } from "./linear.js";
import { attention } from "./attention.js";
import { layerNorm, layerNormBackward } from "./layer-norm.js";
import { gluGelu, gluGeluBackward, unary, unaryBackward } from "./glu-gelu.js";
import { gather, meanPool, scatterRows } from "./gather.js";
import { rowStats } from "./row-stats.js";
import { axpy } from "./axpy.js";
import { fakeQuant } from "./fake-quant.js";
import { lora } from "./lora.js";
import { matmul } from "./matmul.js";
import { attentionBackward } from "./attention-backward.js";
import { adamw } from "./adamw.js";
import { dropout } from "./dropout.js";

const KERNELS: KernelTable<RefContext> = { linear, attention, layerNorm, gluGelu, gather, meanPool, unary, rowStats, axpy, fakeQuant, lora,
  matmul, attentionBackward, layerNormBackward, gluGeluBackward, unaryBackward, scatterRows, adamw, dropout };

export const createReferenceBackend: BackendFactory = async () => new ReferenceBackend();

export class ReferenceBackend implements Backend, RefContext {
  readonly name = "reference" as const;
  readonly caps: Readonly<BackendCaps> = {
    threads: 1, simd: false, relaxedSimd: false, f16: false, int8Dot: false, relaxedDot: false, dot4I8Packed: false,
    maxBufferBytes: 2 ** 31 - 1, description: "plain TypeScript, float64 accumulation", build: "f64",
  };
  private buffers = new Map<number, Uint8Array>();
  private nextId = 1;
  private dispatches = 0;

  supports<K extends OpName>(op: K, needs: OpNeeds[K]): Support {
    return tableSupports(KERNELS, this.name, this.caps, op, needs);
  }

  alloc(byteLength: number): BufferId {
    if (!Number.isInteger(byteLength) || byteLength < 0 || byteLength % 4 !== 0) {
      throw new BackendError(`reference: alloc(${byteLength}): byte length must be a non-negative multiple of 4`);
    }
    const id = this.nextId++;
    this.buffers.set(id, new Uint8Array(byteLength));
    return id as BufferId;
  }

  upload(dst: BufferId, src: ArrayBufferView, dstByteOffset = 0): void {
    const bytes = this.bytes(dst);
    if (dstByteOffset < 0 || dstByteOffset + src.byteLength > bytes.byteLength) {
      throw new BackendError(`reference: upload of ${src.byteLength} bytes at ${dstByteOffset} overflows buffer of ${bytes.byteLength}`);
    }
    bytes.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), dstByteOffset);
  }

  async download(src: BufferId, byteOffset = 0, byteLength?: number): Promise<Uint8Array> {
    const bytes = this.bytes(src);
    const len = byteLength ?? bytes.byteLength - byteOffset;
    if (byteOffset < 0 || byteOffset + len > bytes.byteLength) {
      throw new BackendError(`reference: download of ${len} bytes at ${byteOffset} overflows buffer of ${bytes.byteLength}`);
    }
    return bytes.slice(byteOffset, byteOffset + len);
  }

  free(buf: BufferId): void { this.buffers.delete(buf); }

  /** Weights are read in their stored layout (decoded per call), so preparing is the identity. */
  prepareWeight(w: WeightArg): WeightArg { return w; }

  async flush(): Promise<void> {}

  stats() {
    let bytesLive = 0;
    for (const b of this.buffers.values()) bytesLive += b.byteLength;
    return { bytesLive, buffers: this.buffers.size, dispatches: this.dispatches };
  }

  dispose(): void { this.buffers.clear(); }

  run<K extends OpName>(op: K, args: OpArgs[K]): void {
    this.dispatches++;
    tableRun(KERNELS, this.name, this.caps, op, args, this);
  }

  // ---- RefContext ----

  f32(id: BufferId): Float32Array {
    const b = this.bytes(id);
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
  }

  int8(id: BufferId): Int8Array {
    const b = this.bytes(id);
    return new Int8Array(b.buffer, b.byteOffset, b.byteLength);
  }

  weight(w: WeightArg, n: number, k: number): Float32Array {
    const data = this.bytes(w.data);
    const scales = w.scales === undefined ? undefined : this.f32(w.scales);
    if (FORMATS[w.format].scaleCount(n, k) > (scales?.length ?? 0)) {
      throw new BackendError(`reference: ${w.format} weight [${n}, ${k}] needs ${FORMATS[w.format].scaleCount(n, k)} scales, has ${scales?.length ?? 0}`);
    }
    const format = FORMATS[w.format];
    if (data.byteLength < format.dataBytes(n, k)) {
      throw new BackendError(`reference: ${w.format} weight buffer of ${data.byteLength} bytes is smaller than [${n}, ${k}]`);
    }
    return format.decode({ data, scales }, n, k);
  }

  private bytes(id: BufferId): Uint8Array {
    const buf = this.buffers.get(id);
    if (!buf) throw new BackendError(`reference: buffer ${id} was freed or never allocated`);
    return buf;
  }
}
