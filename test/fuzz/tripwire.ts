// Code-execution tripwire for the fuzz workers: eval, Function (and the constructors reachable from any function),
// child_process, vm and process.dlopen are replaced by recorders that throw. A parser that reached any of them on a
// hostile input would be running code from the file; any call is a failure, counted per input.
import { createRequire, syncBuiltinESMExports } from "node:module";

const calls: string[] = [];

/** Calls recorded since the last take(), emptied. */
export function takeTrips(): string[] {
  return calls.splice(0);
}

/** A recorder for `what`. Node's own internals call some of these (vm for cross-realm regexps in web streams): a call
 *  straight from a node: frame goes through to `real`; any other caller is recorded and gets an exception. */
function wire(what: string, real?: unknown): (...args: unknown[]) => unknown {
  return function tripped(this: unknown, ...args: unknown[]) {
    const frames = (new Error().stack ?? "").split("\n").slice(2, 5).map((l) => l.trim());
    if (typeof real === "function" && /^at (\S+ \()?node:/.test(frames[0] ?? "")) {
      return new.target ? Reflect.construct(real, args, new.target) : Reflect.apply(real, this, args);
    }
    calls.push(`${what} (${frames.join(" < ").slice(0, 300)})`);
    throw new Error(`tripwire: ${what} was called`);
  };
}

/** Install once per process, after every module the worker needs is loaded. */
export function installTripwire(): void {
  const g = globalThis as Record<string, unknown>;
  g.eval = wire("eval", g.eval);
  const F = wire("Function", Function);
  g.Function = F;
  // new (async () => {}).constructor("code") and friends reach the real constructors through prototypes.
  for (const proto of [Function.prototype, Object.getPrototypeOf(async function () {}), Object.getPrototypeOf(function* () {}),
    Object.getPrototypeOf(async function* () {})]) {
    Object.defineProperty(proto, "constructor", { value: wire(`${proto === Function.prototype ? "" : "async/generator "}Function`), configurable: true, writable: true });
  }
  const require = createRequire(import.meta.url);
  const cp = require("node:child_process") as Record<string, unknown>;
  for (const k of ["exec", "execSync", "execFile", "execFileSync", "spawn", "spawnSync", "fork"]) cp[k] = wire(`child_process.${k}`, cp[k]);
  const vm = require("node:vm") as Record<string, unknown>;
  for (const k of ["runInThisContext", "runInNewContext", "runInContext", "compileFunction", "Script", "createScript"]) vm[k] = wire(`vm.${k}`, vm[k]);
  (process as unknown as Record<string, unknown>).dlopen = wire("process.dlopen");
  syncBuiltinESMExports();
}
