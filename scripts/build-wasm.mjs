#!/usr/bin/env node
// Generates the kernel ABI from assembly/abi.json (scripts/gen-wasm-abi.mjs), then builds the four AssemblyScript variants of asconfig.json (simd, relaxed, simd-mt, relaxed-mt) and embeds each
// as base64 in src/backend/wasm/generated/<name>.ts, so the backend loads unbundled in Node, Deno, browsers and workers.
import asc from "assemblyscript/asc";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateAbi } from "./gen-wasm-abi.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const config = JSON.parse(readFileSync(join(root, "asconfig.json"), "utf8"));
const outDir = join(root, "src/backend/wasm/generated");
mkdirSync(outDir, { recursive: true });
console.log("wasm abi:", generateAbi()); // assembly/generated/ + src/backend/wasm/generated/abi.ts, before asc reads them

for (const [target, opts] of Object.entries(config.targets)) {
  const args = ["--config", join(root, "asconfig.json"), "--target", target, "--disableWarning", "112"];
  const { error, stderr } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
  if (error) {
    console.error(stderr.toString());
    throw new Error(`asc failed for target ${target}: ${error.message}`);
  }
  const wasm = readFileSync(join(root, opts.outFile));
  const name = opts.outFile.split("/").pop().replace(/\.wasm$/, "");
  writeFileSync(join(outDir, `${name}.ts`),
    `// do not edit; made by scripts/build-wasm.mjs from assembly/ (asconfig.json target "${target}", ${wasm.length} bytes)\n` +
    `export const WASM_BASE64 = "${wasm.toString("base64")}";\n`);
  console.log(`wasm ${target}: ${wasm.length} bytes -> src/backend/wasm/generated/${name}.ts`);
}
