// Regenerates test/fixtures/MANIFEST.sha256, the sha256 list (`sha256sum` format, sorted by path, all files but the
// manifest) of the golden fixtures copied byte for byte from ../shared/fixtures; test/fixtures-manifest.test.ts checks
// the copy against it. Run it only after re-copying the fixtures, never edit one by hand.
// Usage: node scripts/fixtures-manifest.mjs [--check]   (--check: compare only, exit 1 when out of date)
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const MANIFEST = "MANIFEST.sha256";
const dir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures");

/** Relative '/'-separated paths of every regular file under `root`, sorted by code unit (= `LC_ALL=C sort`). */
function listFiles(root, prefix = "") {
  const out = [];
  for (const e of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(root, rel));
    else if (e.isFile()) out.push(rel);
    else throw new Error(`${rel}: not a regular file or directory (no links in fixtures)`);
  }
  return out;
}

const files = listFiles(dir).filter((f) => f !== MANIFEST).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const sha256 = (f) => createHash("sha256").update(readFileSync(join(dir, f))).digest("hex");
const text = files.map((f) => `${sha256(f)}  ${f}\n`).join("");

if (process.argv.includes("--check")) {
  const old = existsSync(join(dir, MANIFEST)) ? readFileSync(join(dir, MANIFEST), "utf8") : "";
  if (old !== text) {
    console.error(`${MANIFEST} is out of date: run node scripts/fixtures-manifest.mjs`);
    process.exit(1);
  }
  console.log(`${MANIFEST} up to date (${files.length} files)`);
} else {
  writeFileSync(join(dir, MANIFEST), text);
  console.log(`wrote test/fixtures/${MANIFEST} (${files.length} files)`);
}
