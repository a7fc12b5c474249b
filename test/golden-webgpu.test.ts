// Goldens on WebGPU in Node (npm `webgpu`, i.e. Dawn, on lavapipe 25 or SwiftShader; see .ci/setup-webgpu.sh).
// Without an adapter the suite skips locally, but under CI=true a missing adapter is a failure, not a skip.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createWebGpuBackend } from "../src/backend/webgpu/webgpu.js";
import { FULL_TESTS, runGoldenSuite } from "./helpers/golden.js";
import { quickOnSoftwareGpu } from "./helpers/golden-checks.js";

const probe = await createWebGpuBackend({});
const reason = "unavailable" in probe ? probe.unavailable : null;
let f16: true | { reason: string } = { reason: "no adapter" };
let quick = false;
if (!("unavailable" in probe)) {
  quick = quickOnSoftwareGpu(probe.caps.description, FULL_TESTS);
  if (quick) console.log("# software adapter outside CI: the quick golden subset (CI=true or GERM_FULL=1 runs all)");
  console.log(`# webgpu adapter: ${probe.caps.description}`);
  f16 = probe.supports("linear", { format: "f16" });
  probe.dispose();
}

if (reason !== null && process.env.CI !== "true") {
  test("goldens on webgpu", { skip: `skipped: no WebGPU adapter (${reason}); source .ci/setup-webgpu.sh` }, () => {});
} else {
  test("webgpu adapter present (required when CI=true)", () => assert.equal(reason, null, `no WebGPU adapter: ${reason}`));
  runGoldenSuite("webgpu", { quick });
  // f16 GEMM weights (tolerance GOLDEN_TOL_F16, set from the measured error); lavapipe 25 has shader-f16,
  // Chromium's SwiftShader does not.
  runGoldenSuite("webgpu", { dtype: "f16", quick, skip: f16 === true ? undefined : `skipped: webgpu f16: ${f16.reason}` });
}
