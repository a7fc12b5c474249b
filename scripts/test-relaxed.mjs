#!/usr/bin/env node
// `npm run test:node:relaxed`: the Wasm goldens, conformance, batch-invariance and training goldens again, on the
// relaxed-SIMD (FMA) build. Node 20 has that build only behind --experimental-wasm-relaxed-simd, which the germ CLI
// turns on (src/backend/wasm/relaxed-flag.ts), so its numbers are checked here; where relaxed SIMD is on by default
// (Node ≥ 22) `npm run test:node` already ran them on it.
import { spawnSync } from "node:child_process";
import { hasFeature } from "../build/src/backend/wasm/probe.js";

if (hasFeature("relaxed")) {
  console.log("test:node:relaxed: relaxed SIMD is on by default here; test:node covered the relaxed build");
  process.exit(0);
}
const tests = ["golden-wasm", "batch-invariance", "train", "wasm-backend", "fine-tune"].map((t) => `build/test/${t}.test.js`);
const r = spawnSync(process.execPath, ["--experimental-wasm-relaxed-simd", "--test", "--test-concurrency=1", "build/test/conformance/", ...tests],
  { stdio: "inherit", env: { ...process.env, GERM_BACKENDS: "wasm:1,wasm:2" } });
process.exit(r.status ?? 1);
