// WebGPU backend: the process's shared device (gpu.ts) and its cached pipelines, pooled buffers of its own, and one
// command encoder per forward pass that is submitted at flush(). Device loss and validation / out-of-memory errors become BackendError (never a hang).
// Kernel wrappers live in kernels/*.ts, their WGSL in shaders/*.wgsl (embedded by scripts/embed-shaders.mjs).
import type { Backend, BackendCaps, BackendFactory, BufferId, Support } from "../../contract/backend.js";
import type { OpArgs, OpName, OpNeeds, WeightArg } from "../../contract/spec.js";
import { tableRun, tableSupports } from "../../contract/kernels.js";
import { BackendError } from "../../errors.js";
import { sharedDevice, type SharedDevice } from "./gpu.js";
import { BufferPool } from "./buffer-pool.js";
import { packParams, type PipelineCache } from "./pipeline-cache.js";
import type { KernelName } from "./generated/shaders.js";
import type { Binding, Constants, KernelContext } from "./kernels/context.js";
import { KERNELS } from "./kernels/index.js";

// Spec values: Node's `webgpu` package does not install the GPUBufferUsage / GPUMapMode globals unless asked.
const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
const MAP_MODE_READ = 0x1;

/** Host tables kept on the device per key object (KernelContext.cached): a few batches / models at a time. */
const HOST_CACHE_KEYS = 8;

/**
 * Create the WebGPU backend, or say why it cannot run here (no navigator.gpu, no adapter, …).
 * @example
 * const b = await createWebGpuBackend({});
 * if ("unavailable" in b) console.log(b.unavailable); else console.log(b.caps.description);
 */
export const createWebGpuBackend: BackendFactory = async (opts) => {
  const opened = await sharedDevice();
  if (typeof opened === "string") return { unavailable: opened };
  if (opened.isFallback && opts.allowSoftware === false) {
    return { unavailable: `only a software adapter (${opened.description}) is present; the Wasm backend is faster there` };
  }
  return new WebGpuBackend(opened);
};

interface Live { buffer: GPUBuffer; bytes: number }
const align4 = (n: number) => Math.ceil(n / 4) * 4;

export class WebGpuBackend implements Backend, KernelContext {
  readonly name = "webgpu" as const;
  readonly caps: Readonly<BackendCaps>;
  readonly maxWorkgroups: number;
  /** maxStorageBufferBindingSize; tests lower it to exercise row chunking. */
  maxBindingBytes: number;
  private readonly device: GPUDevice;
  private readonly maxBuffer: number;
  private readonly tensors: BufferPool;
  private readonly uniforms: BufferPool;
  private readonly hostData: BufferPool;
  private readonly pipelines: PipelineCache;
  private readonly dummy: GPUBuffer;
  private readonly live = new Map<number, Live>();
  private nextId = 1;
  private dispatches = 0;
  private submits = 0;
  // The open forward pass, the tensor buffers it reads or writes, and what to recycle once it is submitted.
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly touched = new Set<GPUBuffer>();
  private afterSubmit: [BufferPool, GPUBuffer][] = [];
  private scopes: Promise<GPUError | null>[] = [];
  private readonly hostCache = new Map<object, Map<string, Binding>>();
  private uncaptured: string | null = null;
  private lostMessage: string | null = null;
  private readonly lost: Promise<never>;
  private disposed = false;

  private readonly onUncaptured = (ev: Event) => {
    const err = (ev as GPUUncapturedErrorEvent).error;
    this.uncaptured ??= `webgpu: ${err.constructor.name}: ${err.message}`;
  };

  constructor(o: SharedDevice) {
    const d = o.device;
    this.device = d;
    this.maxBindingBytes = d.limits.maxStorageBufferBindingSize;
    this.maxBuffer = d.limits.maxBufferSize;
    this.maxWorkgroups = d.limits.maxComputeWorkgroupsPerDimension;
    this.caps = {
      // f16: the device has shader-f16 (gpu.ts requests it whenever the adapter offers it), so the linearF16 kernel runs.
      threads: 1, simd: false, relaxedSimd: false, f16: o.f16, int8Dot: false, relaxedDot: false, dot4I8Packed: o.dot4I8Packed,
      maxBufferBytes: this.maxBuffer,
      build: ["wgsl", o.f16 ? "f16" : "", o.dot4I8Packed ? "dot4i8" : ""].filter(Boolean).join("+"),
      description: `${o.description}${o.isFallback ? " (software fallback)" : ""}${o.f16 ? "; shader-f16" : "; no shader-f16"}`,
    };
    this.tensors = new BufferPool(d, USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST, "tensor");
    this.uniforms = new BufferPool(d, USAGE.UNIFORM | USAGE.COPY_DST, "params");
    this.hostData = new BufferPool(d, USAGE.STORAGE | USAGE.COPY_DST, "host");
    this.pipelines = o.pipelines;
    this.dummy = d.createBuffer({ size: 16, usage: USAGE.STORAGE, label: "absent optional input" });
    this.lost = d.lost.then((info) => {
      this.lostMessage = `webgpu: device lost (${info.reason ?? "unknown"}): ${info.message || "no message"}`;
      throw new BackendError(this.lostMessage);
    });
    this.lost.catch(() => {}); // observed by check() and the races below
    d.addEventListener?.("uncapturederror", this.onUncaptured);
  }

  supports<K extends OpName>(op: K, needs: OpNeeds[K]): Support {
    return tableSupports(KERNELS, this.name, this.caps, op, needs);
  }

  alloc(byteLength: number): BufferId {
    this.check();
    if (byteLength > this.maxBuffer) throw new BackendError(`webgpu: alloc(${byteLength}): over this adapter's maxBufferSize ${this.maxBuffer}`);
    const id = this.nextId++;
    this.live.set(id, { buffer: this.tensors.acquire(byteLength), bytes: byteLength });
    return id as BufferId;
  }

  upload(dst: BufferId, src: ArrayBufferView, dstByteOffset = 0): void {
    this.check();
    const l = this.get(dst);
    if (dstByteOffset + src.byteLength > l.bytes) throw new BackendError(`webgpu: upload of ${src.byteLength} bytes at ${dstByteOffset} overflows buffer of ${l.bytes}`);
    if (dstByteOffset % 4 !== 0 || src.byteLength % 4 !== 0) throw new BackendError(`webgpu: upload offset ${dstByteOffset} and length ${src.byteLength} must be multiples of 4`);
    // writeBuffer runs before any unsubmitted command: submit first if the open pass uses this buffer.
    if (this.touched.has(l.buffer)) this.submit();
    this.device.queue.writeBuffer(l.buffer, dstByteOffset, src.buffer, src.byteOffset, src.byteLength);
  }

  async download(src: BufferId, byteOffset = 0, byteLength?: number): Promise<Uint8Array> {
    this.check();
    const l = this.get(src);
    const len = byteLength ?? l.bytes - byteOffset;
    if (byteOffset % 4 !== 0 || byteOffset + len > l.bytes) throw new BackendError(`webgpu: download [${byteOffset}, +${len}) of a ${l.bytes}-byte buffer`);
    if (len === 0) return new Uint8Array(0);
    this.submit();
    const size = align4(len);
    const rb = this.device.createBuffer({ size, usage: USAGE.MAP_READ | USAGE.COPY_DST, label: "readback" });
    try {
      const enc = this.device.createCommandEncoder({ label: "readback" });
      enc.copyBufferToBuffer(l.buffer, byteOffset, rb, 0, size);
      this.device.queue.submit([enc.finish()]);
      await Promise.race([rb.mapAsync(MAP_MODE_READ), this.lost]);
      return new Uint8Array(rb.getMappedRange(0, size).slice(0, len));
    } catch (e) {
      throw e instanceof BackendError ? e : new BackendError(`webgpu: download failed: ${(e as Error).message}`);
    } finally {
      rb.destroy();
    }
  }

  free(buf: BufferId): void {
    const l = this.live.get(buf);
    if (!l) return;
    this.live.delete(buf);
    if (this.disposed) return;
    if (this.touched.has(l.buffer)) this.afterSubmit.push([this.tensors, l.buffer]);
    else this.tensors.release(l.buffer);
  }

  /** The GEMM reads weights as stored (f32 or f16 rows; q8 / q4 bytes and their scales), so preparing is the identity. */
  prepareWeight(w: WeightArg): WeightArg { return w; }

  run<K extends OpName>(op: K, args: OpArgs[K]): void {
    this.check();
    this.open();
    tableRun(KERNELS, this.name, this.caps, op, args, this as KernelContext);
  }

  async flush(): Promise<void> {
    this.check();
    this.submit();
    const scopes = this.scopes;
    this.scopes = [];
    const errors = await Promise.race([
      Promise.all([this.device.queue.onSubmittedWorkDone().then(() => null), ...scopes]),
      this.lost,
    ]);
    const first = errors.find((e) => e !== null);
    if (first) throw new BackendError(`webgpu: ${first.constructor.name}: ${first.message}`);
    this.check();
  }

  stats() {
    let bytesLive = 0;
    for (const l of this.live.values()) bytesLive += l.bytes;
    return { bytesLive, buffers: this.live.size, dispatches: this.dispatches };
  }

  /** Pool, pipeline and forward-pass submit counts (beyond the Backend interface's stats). */
  gpuStats() {
    const bytesPooled = this.tensors.pooledBytes + this.uniforms.pooledBytes + this.hostData.pooledBytes;
    return { bytesPooled, pipelines: this.pipelines.size, submits: this.submits };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.encoder = this.pass = null;
    for (const l of this.live.values()) l.buffer.destroy();
    this.live.clear();
    for (const [, b] of this.afterSubmit) b.destroy();
    this.afterSubmit = [];
    for (const entry of this.hostCache.values()) for (const b of entry.values()) b.buffer.destroy();
    this.hostCache.clear();
    this.tensors.trim(); this.uniforms.trim(); this.hostData.trim();
    this.dummy.destroy();
    // The device is shared (gpu.ts): it and its pipelines stay for the next backend; this backend's buffers are gone.
    this.device.removeEventListener?.("uncapturederror", this.onUncaptured);
  }

  // ---- KernelContext (used by kernels/*.ts while run() records) ----

  buf(id: BufferId, byteOffset = 0, byteSize?: number): Binding {
    const l = this.get(id);
    this.touched.add(l.buffer);
    return { buffer: l.buffer, offset: byteOffset, size: Math.max(4, align4(byteSize ?? l.bytes - byteOffset)) };
  }

  opt(id: BufferId | undefined): Binding {
    return id === undefined ? { buffer: this.dummy, size: 16 } : this.buf(id);
  }

  host(data: ArrayBufferView): Binding {
    const size = Math.max(4, align4(data.byteLength));
    const buffer = this.hostData.acquire(size);
    if (data.byteLength > 0) this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, align4(data.byteLength));
    this.afterSubmit.push([this.hostData, buffer]);
    return { buffer, size };
  }

  cached(key: object, tag: string, make: () => ArrayBufferView): Binding {
    let entry = this.hostCache.get(key);
    if (entry) {
      this.hostCache.delete(key); // re-insert: the map's order is least recently used first
    } else {
      entry = new Map();
      while (this.hostCache.size >= HOST_CACHE_KEYS) {
        const [oldKey, old] = this.hostCache.entries().next().value!;
        this.hostCache.delete(oldKey);
        for (const b of old.values()) this.afterSubmit.push([this.hostData, b.buffer]);
      }
    }
    this.hostCache.set(key, entry);
    let b = entry.get(tag);
    if (!b) {
      const data = make();
      const size = Math.max(4, align4(data.byteLength));
      const buffer = this.hostData.acquire(size);
      if (data.byteLength > 0) this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, align4(data.byteLength));
      b = { buffer, size };
      entry.set(tag, b);
    }
    return b;
  }

  scratch(byteLength: number): Binding {
    const size = Math.max(4, align4(byteLength));
    const buffer = this.tensors.acquire(size);
    this.afterSubmit.push([this.tensors, buffer]);
    return { buffer, size };
  }

  bytesOf(id: BufferId): number { return this.get(id).bytes; }

  dispatch(kernel: KernelName, constants: Constants, bindings: Binding[], params: Record<string, number>, groups: readonly number[]): void {
    const pipeline = this.pipelines.get(kernel, constants);
    const data = packParams(kernel, params);
    const ub = this.uniforms.acquire(data.byteLength);
    this.device.queue.writeBuffer(ub, 0, data);
    this.afterSubmit.push([this.uniforms, ub]);
    const entries: GPUBindGroupEntry[] = bindings.map((b, i) => ({ binding: i, resource: { buffer: b.buffer, offset: b.offset ?? 0, size: b.size } }));
    entries.push({ binding: bindings.length, resource: { buffer: ub, size: data.byteLength } });
    const group = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: kernel });
    this.pass!.setPipeline(pipeline);
    this.pass!.setBindGroup(0, group);
    this.pass!.dispatchWorkgroups(groups[0], groups[1] ?? 1, groups[2] ?? 1);
    this.dispatches++;
  }

  // ---- internals ----

  private get(id: BufferId): Live {
    const l = this.live.get(id);
    if (!l) throw new BackendError(`webgpu: buffer ${id} was freed or never allocated`);
    return l;
  }

  private check(): void {
    if (this.disposed) throw new BackendError("webgpu: the backend was disposed");
    if (this.lostMessage) throw new BackendError(this.lostMessage);
    if (this.uncaptured) {
      const msg = this.uncaptured;
      this.uncaptured = null;
      throw new BackendError(msg);
    }
  }

  private open(): void {
    if (this.encoder) return;
    this.device.pushErrorScope("out-of-memory");
    this.device.pushErrorScope("validation");
    this.encoder = this.device.createCommandEncoder({ label: "germ forward" });
    this.pass = this.encoder.beginComputePass({ label: "germ forward" });
  }

  /** End and submit the open pass (if any), then recycle what it was the last user of. */
  private submit(): void {
    if (!this.encoder) return;
    this.pass!.end();
    this.device.queue.submit([this.encoder.finish()]);
    this.submits++;
    this.scopes.push(this.device.popErrorScope(), this.device.popErrorScope());
    this.encoder = this.pass = null;
    this.touched.clear();
    for (const [pool, b] of this.afterSubmit) pool.release(b);
    this.afterSubmit = [];
  }
}
