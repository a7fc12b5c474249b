// Goldens on WebGPU in Node (npm `webgpu`, i.e. Dawn, on lavapipe 25 or SwiftShader; see .ci/setup-webgpu.sh).
// Without an adapter the suite skips locally, but under CI=true a missing adapter is a failure, not a skip.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createWebGpuBackend } from "../src/backend/webgpu/webgpu.js";
import { runGoldenSuite } from "./helpers/golden.js";

const probe = await createWebGpuBackend({});
const reason = "unavailable" in probe ? probe.unavailable : null;
let f16: true | { reason: string } = { reason: "no adapter" };
if (!("unavailable" in probe)) {
  console.log(`# webgpu adapter: ${probe.caps.description}`);
  f16 = probe.supports("linear", { format: "f16" });
  probe.dispose();
}

if (reason !== null && process.env.CI !== "true") {
  test("goldens on webgpu", { skip: `skipped: no WebGPU adapter (${reason}); source .ci/setup-webgpu.sh` }, () => {});
} else {
  test("webgpu adapter present (required when CI=true)", () => assert.equal(reason, null, `no WebGPU adapter: ${reason}`));
  runGoldenSuite("webgpu");
  // f16 GEMM weights (tolerance GOLDEN_TOL_F16, set from the measured error); lavapipe 25 has shader-f16,
  // Chromium's SwiftShader does not.
  runGoldenSuite("webgpu", { dtype: "f16", skip: f16 === true ? undefined : `skipped: webgpu f16: ${f16.reason}` });
}
