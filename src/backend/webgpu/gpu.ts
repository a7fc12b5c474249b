// Finds a WebGPU implementation and opens a device: navigator.gpu in browsers and Deno; in Node, the optional npm
// package `webgpu` (Dawn), imported only when navigator.gpu is absent so the library never hard-depends on it.
// One device per process is shared by every WebGpuBackend with its pipeline cache, so each pipeline compiles once
// per run (seconds each on software Vulkan); a lost device is replaced by the next open.
import { runtime } from "../../env.js";
import { PipelineCache } from "./pipeline-cache.js";

/**
 * Limits raised to the adapter's maximum. Workgroup size/storage and bindings per stage stay at the spec defaults
 * on purpose: the kernels fit them, and software adapters in CI (which offer more) then catch any kernel that doesn't.
 */
const WANTED_LIMITS = ["maxBufferSize", "maxStorageBufferBindingSize", "maxComputeWorkgroupsPerDimension"] as const;

export interface OpenedDevice {
  device: GPUDevice;
  /** "vendor architecture description" of the adapter, for logs and benchmark labels. */
  description: string;
  isFallback: boolean;
  /** The adapter offers `shader-f16` (requested on the device when present). */
  f16: boolean;
  /** WGSL has dot4I8Packed (`packed_4x8_integer_dot_product` in navigator.gpu.wgslLanguageFeatures). */
  dot4I8Packed: boolean;
}

// Dawn's GPU object must outlive every device made from it (a collected `create([])` result segfaults the
// process, see ../shared/RUNTIMES.md §1), so it lives here for the life of the module.
let nodeGpu: Promise<GPU | string> | null = null;

async function importDawn(): Promise<GPU | string> {
  // A variable specifier keeps bundlers from resolving or inlining the optional native package.
  const spec = "webgpu";
  try {
    const mod = await import(/* webpackIgnore: true */ /* @vite-ignore */ spec);
    return mod.create([]) as GPU;
  } catch (e) {
    return `no navigator.gpu, and the optional npm package "webgpu" (Dawn for Node) did not load: ${(e as Error).message}`;
  }
}

/** The runtime's GPU object, or why there is none. */
export async function findGpu(): Promise<GPU | string> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (runtime !== "node") return "navigator.gpu is absent (this runtime has no WebGPU)";
  nodeGpu ??= importDawn();
  return nodeGpu;
}

/** The process's shared device and its compiled pipelines. */
export interface SharedDevice extends OpenedDevice { pipelines: PipelineCache }

let shared: Promise<SharedDevice | string> | null = null;

/** The shared device (opened on first use, reopened after a loss), or why there is none. */
export function sharedDevice(): Promise<SharedDevice | string> {
  if (shared) return shared;
  const p: Promise<SharedDevice | string> = openDevice().then((o) => {
    if (typeof o === "string") return o;
    void o.device.lost.then(() => { if (shared === p) shared = null; });
    return { ...o, pipelines: new PipelineCache(o.device) };
  });
  shared = p;
  return p;
}

/** Adapter → a new device with the features and limits that exist; a string says why not. */
export async function openDevice(): Promise<OpenedDevice | string> {
  const gpu = await findGpu();
  if (typeof gpu === "string") return gpu;
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch (e) {
    return `requestAdapter failed: ${(e as Error).message}`;
  }
  if (!adapter) {
    return "requestAdapter() returned null (no GPU and no software Vulkan driver: install mesa-vulkan-drivers or "
      + "point VK_ICD_FILENAMES at lavapipe/SwiftShader, see .ci/setup-webgpu.sh)";
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof v === "number") requiredLimits[name] = v;
  }
  const f16 = adapter.features.has("shader-f16");
  const requiredFeatures: GPUFeatureName[] = f16 ? ["shader-f16"] : [];
  const info = (adapter as { info?: GPUAdapterInfo }).info;
  const description = info
    ? [info.vendor, info.architecture, info.description || info.device].filter(Boolean).join(" ")
    : "unknown adapter";
  const isFallback = Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter
    ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter);
  try {
    const device = await adapter.requestDevice({ requiredFeatures, requiredLimits, label: "germ-js" });
    return { device, description, isFallback, f16, dot4I8Packed: gpu.wgslLanguageFeatures?.has("packed_4x8_integer_dot_product") ?? false };
  } catch (e) {
    return `requestDevice failed on ${description}: ${(e as Error).message}`;
  }
}
