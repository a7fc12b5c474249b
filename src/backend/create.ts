// The lazy backend factory: createBackend(name) imports a backend's module only when asked (so browsers never load
// Node-only code), and selectBackend(requirements) picks, at load, a backend that runs everything a model needs.
import type { Backend, BackendFactory, BackendName, BackendOptions } from "../contract/backend.js";
import type { OpRequirement } from "../contract/spec.js";
import { BackendError } from "../errors.js";
import { warnOnce } from "../log.js";

// Dynamic imports keep each backend's code (and Node-only pieces) out of runtimes that never use it.
const FACTORIES: Record<BackendName, () => Promise<BackendFactory>> = {
  reference: async () => (await import("./reference/reference.js")).createReferenceBackend,
  wasm: async () => (await import("./wasm/wasm.js")).createWasmBackend,
  webgpu: async () => (await import("./webgpu/webgpu.js")).createWebGpuBackend,
};

/** `auto` tries these in order: WebGPU on a hardware adapter, then Wasm, then (warning) the reference backend. */
const AUTO_ORDER: BackendName[] = ["webgpu", "wasm", "reference"];
const lastReason = new Map<BackendName, string>();

/**
 * Create a backend by name. `auto` is the first of WebGPU (hardware adapter), Wasm and reference that exists here.
 * @category Backends
 * @example
 * const b = await createBackend("wasm", { threads: 2 });
 */
export async function createBackend(name: BackendName | "auto", opts: BackendOptions = {}): Promise<Backend> {
  if (name === "auto") return (await selectBackend("auto", [], opts)).backend;
  if (!Object.prototype.hasOwnProperty.call(FACTORIES, name)) {
    throw new BackendError(`unknown backend "${String(name)}" (expected "reference", "wasm", "webgpu" or "auto")`);
  }
  const backend = await tryCreate(name, opts);
  if (!backend) throw new BackendError(`backend "${name}" is not available in this build or runtime (${lastReason.get(name) ?? "unknown reason"})`);
  return backend;
}

/** Every requirement `backend` cannot meet, each as "op: reason". */
export function missingOn(backend: Backend, requirements: readonly OpRequirement[]): string[] {
  const missing = new Set<string>();
  for (const r of requirements) {
    const ok = backend.supports(r.op, r.needs as never);
    if (ok !== true) missing.add(ok.reason.startsWith(r.op) ? ok.reason : `${r.op}: ${ok.reason}`);
  }
  return [...missing];
}

/**
 * A backend `auto` passed over: absent here, or (`unsupported`) present but unable to run something required.
 * @category Backends
 */
export interface Skipped {
  /** The backend passed over. */
  name: BackendName;
  /** Why: what is missing here, or what it cannot run. */
  reason: string;
  /** True when the backend exists here but cannot run a requirement; false when it is unavailable. */
  unsupported: boolean;
}

/**
 * The backend a model runs on. A named device must meet every requirement (else one BackendError listing all that
 * is missing); `auto` takes the first candidate that does and reports why it skipped the others.
 * @category Backends
 * @example
 * const { backend, skipped } = await selectBackend("auto", [{ op: "linear", needs: { format: "q8" } }]);
 */
export async function selectBackend(
  device: BackendName | "auto", requirements: readonly OpRequirement[], opts: BackendOptions = {},
): Promise<{
  /** The backend chosen (the caller owns it: dispose() it). */
  backend: Backend;
  /** The candidates `auto` passed over, in order (empty for a named device). */
  skipped: Skipped[];
}> {
  if (device !== "auto") {
    const backend = await createBackend(device, opts);
    const missing = missingOn(backend, requirements);
    if (missing.length) {
      backend.dispose();
      throw new BackendError(`backend ${device} cannot run this model: ${missing.join("; ")}`);
    }
    return { backend, skipped: [] };
  }
  const skipped: Skipped[] = [];
  for (const name of AUTO_ORDER) {
    const backend = await tryCreate(name, { allowSoftware: false, ...opts });
    if (!backend) { skipped.push({ name, reason: lastReason.get(name) ?? "unavailable", unsupported: false }); continue; }
    const missing = missingOn(backend, requirements);
    if (missing.length === 0) {
      if (name === "reference") {
        warnOnce("auto-reference", `no faster backend runs this model (${skipped.map((s) => `${s.name}: ${s.reason}`).join("; ")}); using the slow reference backend`);
      }
      return { backend, skipped };
    }
    backend.dispose();
    skipped.push({ name, reason: missing.join("; "), unsupported: true });
  }
  throw new BackendError(`no backend can run this model: ${skipped.map((s) => `${s.name}: ${s.reason}`).join("; ")}`);
}

async function tryCreate(name: BackendName, opts: BackendOptions): Promise<Backend | null> {
  const result = await (await FACTORIES[name]())(opts);
  if ("unavailable" in result) { lastReason.set(name, result.unavailable); return null; }
  return result;
}

/**
 * Why `name` was last found unavailable (for skip messages and warnings).
 * @category Backends
 * @example
 * await createBackend("auto");
 * unavailableReason("webgpu"); // e.g. "navigator.gpu is absent (this runtime has no WebGPU)"
 */
export function unavailableReason(name: BackendName): string | undefined {
  return lastReason.get(name);
}
