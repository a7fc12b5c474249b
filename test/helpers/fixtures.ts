// Locates the golden fixtures for tests: the repo's test/fixtures (a byte-for-byte copy of ../shared/fixtures, checked
// by test/fixtures-manifest.test.ts), or the folder GERM_FIXTURES names. Tests skip when neither holds them.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";

/** Absolute path of the golden fixtures, or null. A non-empty GERM_FIXTURES overrides the default test/fixtures. */
export function fixturesDir(): string | null {
  // Compiled tests live in build/test/helpers/, so the repo root is three levels up; the fixtures stay in the
  // source tree (test/fixtures), tsc does not copy them to build/.
  const repoRoot = resolve(fileURLToPath(new URL("../../../", import.meta.url)));
  const dir = resolve(process.env.GERM_FIXTURES || join(repoRoot, "test", "fixtures"));
  return existsSync(join(dir, "README.md")) ? dir : null;
}

/** Message for `t.skip()` / `{ skip }` when fixtures are missing. */
export const NO_FIXTURES = "skipped: golden fixtures not found in test/fixtures (or in the folder GERM_FIXTURES names)";

export function readJson<T = any>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}
