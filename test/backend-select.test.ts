// device: "auto" picks real WebGPU when there is a hardware adapter, else Wasm (never a software GPU adapter).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createBackend } from "../src/backend/create.js";

test("auto prefers hardware WebGPU, then Wasm; a software adapter is not chosen", async () => {
  let hardwareGpu = false;
  try { (await createBackend("webgpu", { allowSoftware: false })).dispose(); hardwareGpu = true; } catch { /* none */ }
  const auto = await createBackend("auto");
  try { assert.equal(auto.name, hardwareGpu ? "webgpu" : "wasm"); } finally { auto.dispose(); }
});

test("an unknown or unavailable backend name gives a BackendError that says why", async () => {
  await assert.rejects(createBackend("tpu" as never), /tpu/);
});
