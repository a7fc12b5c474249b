// Compute pipelines keyed by compile-time facts only (kernel + override constants); shapes travel in the
// `params` uniform, whose layout comes from generated/shaders.ts (reflected from the WGSL at build time).
import { SHADERS, type KernelName, type ShaderSource } from "./generated/shaders.js";
import { BackendError } from "../../errors.js";
import type { Constants } from "./kernels/context.js";

export class PipelineCache {
  private modules = new Map<KernelName, GPUShaderModule>();
  private pipelines = new Map<string, GPUComputePipeline>();

  constructor(private readonly device: GPUDevice) {}

  get size(): number { return this.pipelines.size; }

  get(kernel: KernelName, constants: Constants = {}): GPUComputePipeline {
    const names = Object.keys(constants).sort();
    const key = `${kernel}[${names.map((n) => `${n}=${Number(constants[n])}`).join(",")}]`;
    let p = this.pipelines.get(key);
    if (p) return p;
    const declared: readonly string[] = SHADERS[kernel].overrides;
    for (const n of names) if (!declared.includes(n)) throw new BackendError(`webgpu: ${kernel}: unknown override ${n}`);
    let module = this.modules.get(kernel);
    if (!module) {
      module = this.device.createShaderModule({ code: SHADERS[kernel].code, label: SHADERS[kernel].file });
      this.modules.set(kernel, module);
    }
    const values: Record<string, number> = {};
    for (const n of names) values[n] = Number(constants[n]);
    p = this.device.createComputePipeline({ label: key, layout: "auto", compute: { module, entryPoint: "main", constants: values } });
    this.pipelines.set(key, p);
    return p;
  }
}

/** Lay out a kernel's `params` uniform from named values; every struct field must be given. */
export function packParams(kernel: KernelName, values: Record<string, number>): ArrayBuffer {
  const { size, fields }: ShaderSource["params"] = SHADERS[kernel].params;
  const buf = new ArrayBuffer(Math.max(16, Math.ceil(size / 16) * 16));
  const view = new DataView(buf);
  for (const [name, f] of Object.entries(fields)) {
    const v = values[name];
    if (v === undefined) throw new BackendError(`webgpu: ${kernel}: params.${name} missing`);
    if (f.type === "f32") view.setFloat32(f.offset, v, true);
    else if (f.type === "i32") view.setInt32(f.offset, v, true);
    else {
      if (!(v >= 0 && v <= 0xffffffff && Number.isInteger(v))) throw new BackendError(`webgpu: ${kernel}: params.${name} = ${v} is not a u32`);
      view.setUint32(f.offset, v, true);
    }
  }
  return buf;
}
