// Which backends a test run covers: GERM_BACKENDS="reference,wasm:2,webgpu" (default: every non-reference backend, wasm with 1 and 2 threads; the reference backend is the oracle).
export interface BackendUnderTest { name: string; threads?: number }

export function backendsUnderTest(): BackendUnderTest[] {
  const spec = process.env.GERM_BACKENDS ?? "wasm:1,wasm:2,webgpu";
  return spec.split(",").filter(Boolean).map((s) => {
    const [name, threads] = s.trim().split(":");
    return threads ? { name, threads: Number(threads) } : { name };
  });
}
