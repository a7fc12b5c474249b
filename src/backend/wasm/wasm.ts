// Wasm backend: AssemblyScript SIMD kernels (assembly/) on one WebAssembly.Memory arena, optionally with worker
// threads sharing that memory. Ops run synchronously inside run(); flush() has nothing left to wait for.
// Linear weights (f32, q8, q4) are packed into 8-column panels once, by prepareWeight at load; kernels never repack anything.
import type { Backend, BackendCaps, BackendFactory, BackendOptions, BufferId, Support } from "../../contract/backend.js";
import type { OpArgs, OpName, OpNeeds, WeightArg } from "../../contract/spec.js";
import { tableRun, tableSupports } from "../../contract/kernels.js";
import { FORMATS, type FormatName } from "../../contract/formats.js";
import { BackendError } from "../../errors.js";
import { nodeBuiltin, runtime } from "../../env.js";
import { warnOnce } from "../../log.js";
import { Arena, MAX_PAGES, PAGE } from "./arena.js";
import { compiled, instantiate, pickVariant, type GermExports, type Variant } from "./loader.js";
import { CTRL } from "./control.js";
import { ThreadPool } from "./threads.js";
import { KERNELS } from "./kernels/index.js";
import type { KernelHost } from "./kernels/host.js";
import { ABI, type AbiArgs, type AbiKernel } from "./generated/abi.js";

/** A buffer; `panels` when prepareWeight laid it out as the linear kernel's panels of a [n, k] weight in `format`. */
interface Buf { ptr: number; bytes: number; panels?: { n: number; k: number; format: FormatName } }

/**
 * The formats prepareWeight packs (docs/wasm-backend.md, Memory): the in-place pack kernel and the bytes of one 8-row
 * panel, which it stages through per-thread scratch. Other formats are not run by linear on wasm.
 */
const PACKERS: Partial<Record<FormatName, { kernel: "pack" | "packQ8" | "packQ4"; panelBytes(k: number): number }>> = {
  f32: { kernel: "pack", panelBytes: (k) => 32 * k },
  q8: { kernel: "packQ8", panelBytes: (k) => 8 * k },
  q4: { kernel: "packQ4", panelBytes: (k) => 128 * Math.ceil(k / 32) },
};

const ARG_SLOTS = 32;

/**
 * Create the Wasm backend. `threads` defaults to the core count (at most 8); threads need shared memory,
 * which browsers give only to cross-origin-isolated pages (COOP/COEP headers): elsewhere it runs on one thread.
 * @example
 * const b = await createBackend("wasm", { threads: 2 });
 */
export const createWasmBackend: BackendFactory = async (opts: BackendOptions) => {
  if (opts.threads !== undefined && (!Number.isInteger(opts.threads) || opts.threads < 1 || opts.threads > MAX_THREADS)) {
    throw new BackendError(`wasm: threads ${opts.threads} must be an integer in 1…${MAX_THREADS}`);
  }
  let threads = opts.threads ?? (await defaultThreads());
  const noThreads = threads > 1 ? whyNoThreads() : null;
  if (noThreads) {
    warnOnce("wasm:threads", `wasm: running on 1 thread instead of ${threads}: ${noThreads}`);
    threads = 1;
  }
  if (threads > 1) {
    try {
      const parts = await setup(true);
      if (!("unavailable" in parts)) return new WasmBackend(parts, await ThreadPool.start(parts.module, parts.memory, parts.ctrl, threads), threads);
      warnOnce("wasm:mt", `wasm: running on 1 thread: ${parts.unavailable}`);
    } catch (e) {
      warnOnce("wasm:workers", `wasm: running on 1 thread: ${(e as Error).message}`);
    }
  }
  const parts = await setup(false);
  return "unavailable" in parts ? parts : new WasmBackend(parts, null, 1);
};

/** More workers than this only cost memory (each has its own stack and scratch) on any machine germ-js targets. */
const MAX_THREADS = 64;

/**
 * Pick, compile and instantiate a build on a fresh memory (shared for threads); the control + argument block comes
 * first. A runtime that refuses to compile (edge workers allow only precompiled modules) makes the backend unavailable.
 */
async function setup(shared: boolean): Promise<Parts | { unavailable: string }> {
  const variant = pickVariant(shared);
  if (typeof variant !== "string") return variant;
  let module: WebAssembly.Module;
  try {
    module = await compiled(variant);
  } catch (e) {
    const base = variant.replace("-mt", "");
    return { unavailable: `this runtime does not compile WebAssembly at run time (${(e as Error).message}); give it the precompiled build: ` +
      `import ${base} from "germ-js/wasm/${base}.wasm"; env.wasmModules = { ${base} }` };
  }
  const memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared } as WebAssembly.MemoryDescriptor);
  const exports = await instantiate(module, memory);
  const arena = new Arena(memory, exports.heapBase());
  return { variant, module, memory, exports, arena, ctrl: arena.alloc(CTRL.BYTES + ARG_SLOTS * 4) };
}

interface Parts { variant: Variant; module: WebAssembly.Module; memory: WebAssembly.Memory; exports: GermExports; arena: Arena; ctrl: number }

async function defaultThreads(): Promise<number> {
  const hc = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  if (hc) return Math.min(hc, 8);
  if (runtime === "node") return Math.min((await nodeBuiltin("os")).availableParallelism(), 8);
  return 1;
}

/** Why worker threads cannot run here, or null when they can. */
function whyNoThreads(): string | null {
  if (runtime === "node" || runtime === "deno") return null;
  if (typeof Worker === "undefined") return "this runtime has no Worker (edge runtimes run single-threaded)";
  if (typeof SharedArrayBuffer === "undefined" || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true) {
    return "SharedArrayBuffer needs a cross-origin-isolated page (serve it with Cross-Origin-Opener-Policy: same-origin and " +
      "Cross-Origin-Embedder-Policy: require-corp)";
  }
  return null;
}

export class WasmBackend implements Backend, KernelHost {
  readonly name = "wasm" as const;
  readonly caps: Readonly<BackendCaps>;
  private readonly bufs = new Map<number, Buf>();
  private nextId = 1;
  private dispatches = 0;
  private readonly args: number;
  private staging = { ptr: 0, bytes: 0 };
  private scratchBlock = { ptr: 0, bytes: 0 };
  private u8 = new Uint8Array(0);
  private argViews = { u32: new Uint32Array(0), i32: new Int32Array(0), f32: new Float32Array(0) };
  private disposed = false;

  constructor(private readonly p: Parts, private readonly pool: ThreadPool | null, readonly threads: number) {
    this.args = p.ctrl + CTRL.BYTES;
    const relaxed = p.variant.startsWith("relaxed");
    this.caps = {
      // int8Dot: i32x4.dot_i16x8_s is part of SIMD128. relaxedDot: only where the known-answer probe passes.
      threads, simd: true, relaxedSimd: relaxed, f16: false, int8Dot: true, relaxedDot: relaxed && p.exports.probeRelaxedDot() === 4,
      dot4I8Packed: false, maxBufferBytes: MAX_PAGES * PAGE,
      build: p.variant,
      description: `AssemblyScript ${p.variant} build, ${threads} thread${threads > 1 ? "s" : ""}`,
    };
  }

  supports<K extends OpName>(op: K, needs: OpNeeds[K]): Support {
    return tableSupports(KERNELS, this.name, this.caps, op, needs);
  }

  alloc(byteLength: number): BufferId {
    this.live();
    if (!Number.isInteger(byteLength) || byteLength < 0) throw new BackendError(`wasm: alloc(${byteLength}): not a byte length`);
    if (byteLength > MAX_PAGES * PAGE) throw new BackendError(`wasm: alloc(${byteLength}): larger than the 4 GiB a wasm32 memory can address`);
    const ptr = this.p.arena.alloc(byteLength);
    const id = this.nextId++;
    this.bufs.set(id, { ptr, bytes: byteLength });
    return id as BufferId;
  }

  upload(dst: BufferId, src: ArrayBufferView, dstByteOffset = 0): void {
    const b = this.get(dst);
    if (dstByteOffset < 0 || dstByteOffset + src.byteLength > b.bytes) {
      throw new BackendError(`wasm: upload of ${src.byteLength} bytes at ${dstByteOffset} overflows buffer of ${b.bytes}`);
    }
    if (b.panels) throw new BackendError(`wasm: buffer ${dst} holds a prepared linear weight; upload the plain weight and prepare it again`);
    this.mem().set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), b.ptr + dstByteOffset);
  }

  async download(src: BufferId, byteOffset = 0, byteLength?: number): Promise<Uint8Array> {
    const b = this.get(src);
    const len = byteLength ?? b.bytes - byteOffset;
    if (byteOffset < 0 || byteOffset + len > b.bytes) throw new BackendError(`wasm: download of ${len} bytes at ${byteOffset} overflows buffer of ${b.bytes}`);
    return this.mem().slice(b.ptr + byteOffset, b.ptr + byteOffset + len);
  }

  free(buf: BufferId): void {
    const b = this.bufs.get(buf);
    if (!b) return;
    this.bufs.delete(buf);
    this.p.arena.release(b.ptr, b.bytes);
  }

  /**
   * f32, q8 and q4 weights with at least one full panel are packed into their kernel's panels (same bytes: f32
   * assembly/linear.ts packPanels, q8 linear-q8.ts packQ8, q4 linear-q4.ts packQ4): in place when handed over, else in
   * a copy (scales copied too, so the caller owns every buffer it gets); scales keep their stored layout. Others, and
   * weights under 8 rows, are used as stored.
   */
  prepareWeight(w: WeightArg, n: number, k: number, handOver = false): WeightArg {
    this.live();
    const packer = PACKERS[w.format];
    if (!packer || n < 8) return w;
    const bytes = FORMATS[w.format].dataBytes(n, k);
    const src = this.get(w.data);
    if (bytes > src.bytes) throw new BackendError(`wasm: linear weight buffer of ${src.bytes} bytes is smaller than ${w.format} [${n}, ${k}]`);
    if (src.panels) throw new BackendError(`wasm: buffer ${w.data} is already a prepared weight`);
    const data = handOver ? w.data : this.alloc(bytes);
    const dst = this.get(data);
    if (!handOver) this.mem().copyWithin(dst.ptr, src.ptr, src.ptr + bytes);
    let scales = w.scales;
    if (!handOver && scales !== undefined) {
      const s = this.get(scales);
      scales = this.alloc(s.bytes);
      const d = this.get(scales);
      this.mem().copyWithin(d.ptr, s.ptr, s.ptr + s.bytes);
    }
    const [scratch, scratchStride] = this.scratch(packer.panelBytes(k));
    this.call(packer.kernel, { w: dst.ptr, n, k, scratch, scratchStride });
    dst.panels = { n, k, format: w.format };
    return { ...w, data, ...(scales !== undefined ? { scales } : {}), prepared: true };
  }

  run<K extends OpName>(op: K, args: OpArgs[K]): void {
    this.live();
    this.dispatches++;
    tableRun(KERNELS, this.name, this.caps, op, args, this as KernelHost);
  }

  async flush(): Promise<void> {}

  stats() {
    let bytesLive = 0;
    for (const b of this.bufs.values()) bytesLive += b.bytes;
    return { bytesLive, buffers: this.bufs.size, dispatches: this.dispatches };
  }

  /** Bytes of the WebAssembly.Memory (weights, activations, scratch and free space). */
  get memoryBytes(): number { return this.p.memory.buffer.byteLength; }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pool?.dispose();
    this.bufs.clear();
  }

  // ---- KernelHost ----

  ptr(id: BufferId): number {
    const b = this.get(id);
    if (b.panels) throw new BackendError(`wasm: buffer ${id} holds a prepared linear weight; only linear reads it`);
    return b.ptr;
  }

  weightPtr(w: WeightArg, n: number, k: number): number {
    const b = this.get(w.data);
    const bytes = FORMATS[w.format].dataBytes(n, k);
    if (bytes > b.bytes) throw new BackendError(`wasm: linear: weight buffer of ${b.bytes} bytes is smaller than ${w.format} [${n}, ${k}]`);
    // Fewer than 8 rows: no full panel, so the stored row-major layout is the one the kernel reads.
    if (n >= 8 && (!b.panels || b.panels.n !== n || b.panels.k !== k || b.panels.format !== w.format)) {
      throw new BackendError(`wasm: linear: ${w.format} weight [${n}, ${k}] was not prepared (Backend.prepareWeight) for this shape`);
    }
    return b.ptr;
  }

  scalesPtr(w: WeightArg, n: number, k: number): number {
    const want = FORMATS[w.format].scaleCount(n, k);
    if (w.scales === undefined) throw new BackendError(`wasm: linear: ${w.format} weight [${n}, ${k}] has no scales buffer`);
    const s = this.ptr(w.scales), b = this.get(w.scales);
    if (want * 4 > b.bytes) throw new BackendError(`wasm: linear: scales buffer of ${b.bytes} bytes is smaller than the ${want} f32 scales of ${w.format} [${n}, ${k}]`);
    return s;
  }

  stage(...arrays: ArrayBufferView[]): number[] {
    const offs: number[] = [];
    let total = 0;
    for (const a of arrays) { offs.push(total); total += Math.ceil(a.byteLength / 16) * 16; }
    if (total > this.staging.bytes) {
      if (this.staging.bytes) this.p.arena.release(this.staging.ptr, this.staging.bytes);
      this.staging = { ptr: this.p.arena.alloc(total * 2), bytes: total * 2 };
    }
    const mem = this.mem();
    arrays.forEach((a, i) => mem.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), this.staging.ptr + offs[i]));
    return offs.map((o) => this.staging.ptr + o);
  }

  scratch(bytes: number): [number, number] {
    const stride = Math.ceil(bytes / 64) * 64;
    const need = stride * this.threads;
    if (need > this.scratchBlock.bytes) {
      if (this.scratchBlock.bytes) this.p.arena.release(this.scratchBlock.ptr, this.scratchBlock.bytes);
      this.scratchBlock = { ptr: this.p.arena.alloc(need), bytes: need };
    }
    return [this.scratchBlock.ptr, stride];
  }

  call<K extends AbiKernel>(kernel: K, args: AbiArgs<K>): void {
    const buf = this.p.memory.buffer;
    if (this.argViews.u32.buffer !== buf) {
      this.argViews = {
        u32: new Uint32Array(buf, this.args, ARG_SLOTS), i32: new Int32Array(buf, this.args, ARG_SLOTS),
        f32: new Float32Array(buf, this.args, ARG_SLOTS),
      };
    }
    const { u32, i32, f32 } = this.argViews;
    const { op, fields } = ABI[kernel];
    u32[0] = op;
    u32[1] = 0;
    for (const [name, [slot, type]] of Object.entries(fields) as [string, readonly [number, string]][]) {
      const v = (args as Record<string, number>)[name];
      if (type === "f32") f32[slot] = v;
      else if (type === "i32") i32[slot] = v;
      else u32[slot] = v;
    }
    if (this.pool) this.pool.run(this.p.exports.exec, this.args);
    else this.p.exports.exec(this.args, 0);
  }

  private mem(): Uint8Array {
    const buf = this.p.memory.buffer;
    if (this.u8.buffer !== buf || this.u8.byteLength !== buf.byteLength) this.u8 = new Uint8Array(buf);
    return this.u8;
  }

  private get(id: BufferId): Buf {
    const b = this.bufs.get(id);
    if (!b) throw new BackendError(`wasm: buffer ${id} was freed or never allocated`);
    return b;
  }

  private live(): void {
    if (this.disposed) throw new BackendError("wasm: the backend was disposed");
  }
}
