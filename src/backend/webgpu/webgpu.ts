// WebGPU backend entry (WGSL kernels). Not built yet: reports itself unavailable so `auto` skips it.
import type { BackendFactory } from "../backend.js";

export const createWebGpuBackend: BackendFactory = async () => ({ unavailable: "the WebGPU backend is not implemented yet" });
