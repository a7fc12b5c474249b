// Wasm backend entry (AssemblyScript SIMD kernels). Not built yet: reports itself unavailable so `auto` skips it.
import type { BackendFactory } from "../backend.js";

export const createWasmBackend: BackendFactory = async () => ({ unavailable: "the Wasm backend is not implemented yet" });
