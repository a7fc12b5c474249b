// Locates ../shared/fixtures (beside the repository) for golden tests; tests skip when it is absent.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";

/** Absolute path of the golden fixtures, or null. GERM_FIXTURES overrides the default ../shared/fixtures. */
export function fixturesDir(): string | null {
  // Compiled tests live in build/test/helpers/, so the repo root is three levels up.
  const repoRoot = resolve(fileURLToPath(new URL("../../../", import.meta.url)));
  const dir = process.env.GERM_FIXTURES ?? join(repoRoot, "..", "shared", "fixtures");
  return existsSync(join(dir, "README.md")) ? dir : null;
}

/** Message for `t.skip()` / `{ skip }` when fixtures are missing. */
export const NO_FIXTURES = "skipped: ../shared/fixtures not found (set GERM_FIXTURES to its path)";

export function readJson<T = any>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}
