// Token offsets (issue 12): encode(text, { offsets: true }) gives each token's [start, end) in the input string.
// The spans of the content tokens tile a DNA string exactly (no normalizer, no whitespace), each span's text is the
// token's vocabulary piece (an [UNK] its out-of-vocabulary characters), specials sit empty, truncation cuts both.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { DnaTokenizer, type Encoding } from "../src/tokenizer/tokenizer.js";
import { fixturesDir, NO_FIXTURES, readJson } from "./helpers/fixtures.js";
import { rng } from "../src/contract/random.js";

const dir = fixturesDir();
const skip = dir === null ? NO_FIXTURES : undefined;
let cached: DnaTokenizer | undefined;
const tok = (): DnaTokenizer => (cached ??= DnaTokenizer.fromJSON(readFileSync(join(dir!, "tiny-softmax", "tokenizer.json"), "utf8")));
const SPECIAL = new Set(["[CLS]", "[SEP]", "[PAD]", "[MASK]"]);

/** Checks the invariants of one single-sequence encoding of `text` and returns the reconstructed content. */
function check(text: string, e: Encoding, what: string): string {
  const off = e.offsets!;
  assert.equal(off.length, e.ids.length, `${what}: one offset per token`);
  assert.deepEqual(off[0], [0, 0], `${what}: [CLS] at [0, 0)`);
  let prev = 0, joined = "";
  e.tokens.forEach((t, i) => {
    const [s, en] = off[i];
    assert.ok(s >= prev && en >= s && en <= text.length, `${what}: span ${i} [${s}, ${en}) in order and inside the text`);
    if (SPECIAL.has(t)) { assert.equal(s, en, `${what}: special ${t} has an empty span`); assert.equal(s, prev, `${what}: special at the previous end`); }
    else if (t === "[UNK]") { assert.ok(en > s, `${what}: [UNK] covers its characters`); for (const ch of text.slice(s, en)) assert.equal(tok().tokenToId(ch), undefined, `${what}: ${ch} under [UNK] is out of vocabulary`); }
    else assert.equal(text.slice(s, en), t, `${what}: token ${i} piece`);
    if (!SPECIAL.has(t)) joined += text.slice(s, en);
    prev = en;
  });
  return joined;
}

test("golden sequences: content spans concatenate to the input, pieces equal the tokens", { skip }, () => {
  for (const name of ["tiny-softmax", "tiny-softmax1", "tiny-softmax1-cls"]) {
    for (const s of readJson(join(dir!, name, "golden.json")).sequences as { name: string; text: string; input_ids: number[] }[]) {
      const e = tok().encode(s.text, { offsets: true });
      assert.deepEqual(e.ids, s.input_ids, `${s.name}: ids unchanged by offsets`);
      // Whitespace (one golden case has some) is the only thing no token covers.
      assert.equal(check(s.text, e, `${name}/${s.name}`), s.text.replace(/\s/gu, ""), `${name}/${s.name}: reconstructs`);
      const n = s.text.trimEnd().length;
      assert.deepEqual(e.offsets!.at(-1), [n, n], `${s.name}: [SEP] at [n, n)`);
    }
  }
});

test("random DNA with N, lower case and other characters: spans tile the string; ids equal encode without offsets", { skip }, () => {
  const r = rng(12);
  const alphabets = ["ACGT", "ACGTN", "ACGTacgtN", "ACGTNRYacgt*-", "ACGTé𝔸"];
  for (let k = 0; k < 300; k++) {
    const alpha = [...alphabets[k % alphabets.length]];
    const n = k < 10 ? k : Math.floor(r() * 3000);
    const text = Array.from({ length: n }, () => alpha[Math.floor(r() * alpha.length)]).join("");
    const e = tok().encode(text, { offsets: true });
    assert.deepEqual(e.ids, tok().encode(text).ids, `case ${k}: same ids`);
    const joined = check(text, e, `case ${k}`);
    // Punctuation splits words but nothing is dropped: with no whitespace the spans tile the input.
    assert.equal(joined, text, `case ${k}: reconstructs`);
  }
});

test("truncation cuts offsets with the tokens; [SEP] marks where the kept text ends", { skip }, () => {
  const text = "ACGTTGCAAGGCTTAGCNNACGTAGCATCGGATCTATCTATCGACAC".repeat(40);
  const full = tok().encode(text, { offsets: true });
  for (const maxLength of [2, 3, 16, 128]) {
    const e = tok().encode(text, { offsets: true, maxLength });
    assert.equal(e.offsets!.length, maxLength);
    const joined = check(text, e, `maxLength ${maxLength}`);
    assert.equal(text.startsWith(joined), true, `maxLength ${maxLength}: a prefix`);
    assert.deepEqual(e.offsets!.slice(1, -1), full.offsets!.slice(1, maxLength - 1));
    const end = e.offsets!.at(-1)!;
    assert.deepEqual(end, [joined.length, joined.length], `maxLength ${maxLength}: [SEP] at the cut`);
  }
});

test("pairs: offsets index A then B; whitespace belongs to no token; added tokens keep their match", { skip }, () => {
  const e = tok().encodePair("ACGTAGCA", "TTGACA", { offsets: true });
  const typeOf = e.typeIds;
  e.tokens.forEach((t, i) => {
    if (SPECIAL.has(t)) return;
    const src = typeOf[i] === 0 ? "ACGTAGCA" : "TTGACA";
    assert.equal(src.slice(...e.offsets![i]), t);
  });
  const spaced = "ACGT  TTGA\nCC";
  const s = tok().encode(spaced, { offsets: true });
  assert.deepEqual(s.tokens.slice(1, -1).join(""), "ACGTTTGACC");
  s.tokens.forEach((t, i) => { if (!SPECIAL.has(t)) assert.equal(spaced.slice(...s.offsets![i]), t); });
  const m = tok().encode("ACGT[MASK]GGA", { offsets: true });
  const at = m.tokens.indexOf("[MASK]");
  assert.deepEqual(m.offsets![at], [4, 10], "[MASK] in the text spans its match");
  assert.equal(tok().encode("ACGT").offsets, undefined, "no offsets unless asked");
});
