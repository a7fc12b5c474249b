// The golden side of the app/edge checks: texts and mean_pooled embeddings of a fixture, compared with the golden
// tests' own rule and tolerance (GOLDEN_TOL_F32 from test/helpers, compiled to build/ by `npm run build:ts`).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "./pack.mjs";

const helpers = join(REPO, "build", "test", "helpers");
if (!existsSync(join(helpers, "golden-checks.js"))) {
  console.error(`${join(helpers, "golden-checks.js")} is missing: run npm run build:ts first (npm test does)`);
  process.exit(1);
}
const { GOLDEN_TOL_F32, goldenLookup } = await import(join(helpers, "golden-checks.js"));
const { compare } = await import(join(helpers, "compare.js"));
const { fixturesDir } = await import(join(helpers, "fixtures.js"));

export const MODEL = "tiny-softmax1";
export const TOL = GOLDEN_TOL_F32;

/** The fixture folder (test/fixtures or $GERM_FIXTURES), or null when absent. */
export const FIXTURES = fixturesDir();

/** golden.json's sequences and a lookup of golden.safetensors for `model`. */
export function loadGolden(model = MODEL) {
  const dir = join(FIXTURES, model);
  const g = JSON.parse(readFileSync(join(dir, "golden.json"), "utf8"));
  const want = goldenLookup(new Uint8Array(readFileSync(join(dir, "golden.safetensors"))));
  return { dir, names: g.sequences.map((s) => s.name), texts: g.sequences.map((s) => s.text), want };
}

/**
 * Compare one embedding per golden sequence with `<name>/mean_pooled`: |got − want| ≤ atol + rtol·|want|.
 * Returns the max |err| over all of them and the first failure (null when all pass).
 */
export function checkEmbeddings(embeddings, golden) {
  if (!Array.isArray(embeddings) || embeddings.length !== golden.names.length) {
    return { maxAbs: NaN, failure: `expected ${golden.names.length} embeddings, got ${embeddings?.length}` };
  }
  let maxAbs = 0, failure = null;
  golden.names.forEach((name, i) => {
    const want = golden.want(`${name}/mean_pooled`);
    let r;
    try { r = compare(embeddings[i], want, TOL.atol, TOL.rtol); } catch (e) { failure ??= `${name}: ${e.message}`; return; }
    maxAbs = Math.max(maxAbs, r.maxAbs);
    if (!r.ok) failure ??= `${name} mean_pooled: max |err| ${r.maxAbs} at ${r.worstIndex} exceeds ${TOL.atol} + ${TOL.rtol}·|want|`;
  });
  return { maxAbs, failure };
}
