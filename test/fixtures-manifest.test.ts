// The golden fixtures in test/fixtures are a byte-for-byte copy of ../shared/fixtures (the GERM authors' PyTorch
// outputs). test/fixtures/MANIFEST.sha256 (scripts/fixtures-manifest.mjs writes it) lists every file with its sha256:
// the copy must match it exactly, with no unlisted files; when ../shared/fixtures is beside the repository, every
// entry must also be byte-identical to the file there, and the source may hold nothing the copy lacks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// Compiled to build/test/, so the repo root is two levels up. The fixtures stay in the source tree.
const REPO = resolve(fileURLToPath(new URL("../../", import.meta.url)));
const COPY = join(REPO, "test", "fixtures");
const SHARED = resolve(REPO, "..", "shared", "fixtures");
const MANIFEST = "MANIFEST.sha256";
const NO_SHARED = `skipped: ${SHARED} not found beside the repository (nothing to compare test/fixtures with)`;

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Relative '/'-separated paths of every entry under `root` that is not a directory (links included, to be caught). */
function listFiles(root: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(root, rel));
    else out.push(rel);
  }
  return out;
}

/** The manifest as [path, hex] pairs in file order; throws on a line that is not `<64 hex>  <path>`. */
function readManifest(): [string, string][] {
  const text = readFileSync(join(COPY, MANIFEST), "utf8");
  assert.ok(text.endsWith("\n"), `${MANIFEST} must end with a newline`);
  return text.slice(0, -1).split("\n").map((line, i) => {
    const m = /^([0-9a-f]{64}) {2}(\S(?:.*\S)?)$/.exec(line);
    assert.ok(m, `${MANIFEST} line ${i + 1} is not "<sha256>  <path>": ${JSON.stringify(line)}`);
    return [m[2], m[1]] as [string, string];
  });
}

const entries = readManifest();
const listed = new Map(entries);

test("fixtures manifest: sha256sum format, sorted by path, no duplicates, not listing itself", () => {
  assert.ok(entries.length > 0, `${MANIFEST} is empty`);
  const paths = entries.map(([p]) => p);
  assert.equal(listed.size, paths.length, "duplicate paths in the manifest");
  assert.deepEqual(paths, [...paths].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), "manifest is not sorted by path");
  assert.ok(!listed.has(MANIFEST), "the manifest lists itself");
  for (const p of paths) {
    assert.ok(!p.startsWith("/") && !p.split("/").includes(".."), `path escapes test/fixtures: ${p}`);
  }
  assert.ok(listed.has("README.md"), "README.md is what fixturesDir() looks for");
});

test("fixtures manifest: every listed file is in test/fixtures with that sha256", () => {
  const bad: string[] = [];
  for (const [path, want] of entries) {
    const file = join(COPY, path);
    if (!existsSync(file)) { bad.push(`${path}: missing`); continue; }
    const got = sha256(readFileSync(file));
    if (got !== want) bad.push(`${path}: sha256 ${got}, manifest says ${want}`);
  }
  assert.deepEqual(bad, [], "test/fixtures differs from MANIFEST.sha256");
});

test("fixtures manifest: test/fixtures holds no file the manifest does not list", () => {
  const extra = listFiles(COPY).filter((p) => p !== MANIFEST && !listed.has(p));
  assert.deepEqual(extra, [], "unlisted files in test/fixtures (run scripts/fixtures-manifest.mjs, or remove them)");
});

const sharedSkip = existsSync(SHARED) ? false : NO_SHARED;

test("fixtures manifest: every listed file is byte-identical to ../shared/fixtures", { skip: sharedSkip }, () => {
  const bad: string[] = [];
  for (const [path, want] of entries) {
    const src = join(SHARED, path);
    if (!existsSync(src)) { bad.push(`${path}: not in ${SHARED}`); continue; }
    const bytes = readFileSync(src);
    const copy = join(COPY, path);
    if (sha256(bytes) !== want) bad.push(`${path}: the shared file's sha256 differs from the manifest`);
    else if (existsSync(copy) && !bytes.equals(readFileSync(copy))) bad.push(`${path}: differs from test/fixtures`);
  }
  assert.deepEqual(bad, [], "test/fixtures is not a byte-for-byte copy of ../shared/fixtures");
});

test("fixtures manifest: ../shared/fixtures holds no file the copy lacks", { skip: sharedSkip }, () => {
  const missing = listFiles(SHARED).filter((p) => !listed.has(p));
  assert.deepEqual(missing, [], "files in ../shared/fixtures that test/fixtures lacks (copy them, rerun the script)");
});
