#!/usr/bin/env node
// Size budget of the published library: every dist/ JS file reachable from the browser entry (dist/index.js,
// static and dynamic imports, the worker) minus the four base64-embedded Wasm builds, plus one .wasm build — what a
// browser app that picks one build downloads at most. Fails past BUDGET gzipped bytes. Run after `npm run build`.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const BUDGET = 150 * 1024;
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
if (!existsSync(join(dist, "index.js"))) { console.error("size-budget: dist/ not built (npm run build)"); process.exit(1); }

const EMBEDDED_BUILD = /^chunks\/germ-(simd|relaxed)(-mt)?-[\w-]+\.js$/;
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']|new URL\(\s*["'](\.{1,2}\/[^"']+)["']\s*,\s*import\.meta\.url/g;

/** dist files reachable from `entry` through relative imports and new URL(…, import.meta.url). */
function reachable(entry) {
  const seen = new Set(), todo = [entry];
  while (todo.length) {
    const file = todo.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    for (const m of readFileSync(file, "utf8").matchAll(IMPORT)) {
      const next = resolve(dirname(file), m[1] ?? m[2]);
      if (existsSync(next)) todo.push(next);
    }
  }
  return [...seen];
}

const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const rows = [];
for (const file of reachable(join(dist, "index.js"))) {
  const name = relative(dist, file);
  if (EMBEDDED_BUILD.test(name)) continue;
  const bytes = readFileSync(file);
  rows.push({ name, raw: bytes.length, gz: gz(bytes) });
}
const wasm = readFileSync(join(dist, "wasm/relaxed.wasm"));
rows.push({ name: "wasm/relaxed.wasm (one build)", raw: wasm.length, gz: gz(wasm) });
rows.sort((a, b) => b.gz - a.gz);
const total = rows.reduce((s, r) => s + r.gz, 0);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
for (const r of rows) console.log(`${kb(r.gz).padStart(9)} gz ${kb(r.raw).padStart(9)}  ${r.name}`);
console.log(`size-budget: ${kb(total)} gzipped (budget ${kb(BUDGET)}): ${total <= BUDGET ? "ok" : "OVER BUDGET"}`);
process.exit(total <= BUDGET ? 0 : 1);
