// Lists the conformance cases per backend without running them: `node build/test/conformance/list.js
// [--list-unsupported] [--backends wasm:2,webgpu]` (npm run conformance:unsupported). Each line is a case and
// what the backend's supports() answers; --list-unsupported prints only the skips, with their reasons.
import { parseArgs } from "node:util";
import type { BackendName } from "../../src/contract/backend.js";
import { CASES } from "./cases.js";
import { openBackend, skipReason } from "./harness.js";

const { values } = parseArgs({ options: { "list-unsupported": { type: "boolean", default: false }, backends: { type: "string", default: "reference,wasm,webgpu" } } });
for (const spec of values.backends!.split(",").filter(Boolean)) {
  const [name, threads] = spec.split(":");
  const backend = await openBackend(name as BackendName, threads ? Number(threads) : undefined);
  if (typeof backend === "string") { console.log(`${spec}: unavailable: ${backend}`); continue; }
  const rows = CASES.map((c) => [c.name, skipReason(backend, c)] as const);
  const skipped = rows.filter(([, why]) => why);
  console.log(`${spec} (${backend.caps.description}): ${rows.length - skipped.length} of ${rows.length} cases run, ${skipped.length} skip`);
  for (const [case_, why] of values["list-unsupported"] ? skipped : rows) console.log(`  ${case_}: ${why || "runs"}`);
  backend.dispose();
}
process.exit(0);
