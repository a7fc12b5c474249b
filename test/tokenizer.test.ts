// DnaTokenizer against golden_tokens.json (every case, truncations, the padded batch), NOTES.md §4 hand
// examples, typed errors for malformed tokenizer.json / bad input, and bucket-queue vs heap BPE agreement.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { DnaTokenizer } from "../src/tokenizer/tokenizer.js";
import { Bpe } from "../src/tokenizer/bpe.js";
import { parseTokenizerJson } from "../src/tokenizer/tokenizer-json.js";
import { FormatError, InputError } from "../src/errors.js";
import { fixturesDir, NO_FIXTURES, readJson } from "./helpers/fixtures.js";

interface GoldenCase {
  name: string; text: string; text_pair?: string; input_ids: number[]; tokens: string[];
  attention_mask: number[]; token_type_ids: number[]; input_ids_truncated?: Record<string, number[]>;
}
interface Golden {
  cases: GoldenCase[];
  special_ids: Record<string, number>;
  padded_batch: { names: string[]; input_ids: number[][]; attention_mask: number[][] };
}

const dir = fixturesDir();
const skip = dir === null ? NO_FIXTURES : undefined;
const jsonText = (): string => readFileSync(join(dir!, "tiny-softmax", "tokenizer.json"), "utf8");
let cached: DnaTokenizer | undefined;
const tok = (): DnaTokenizer => (cached ??= DnaTokenizer.fromJSON(jsonText()));
const golden = (): Golden => readJson<Golden>(join(dir!, "tokenizer", "golden_tokens.json"));

test("every golden case: ids, tokens, type ids, attention mask", { skip }, () => {
  const g = golden();
  assert.ok(g.cases.length >= 20);
  for (const c of g.cases) {
    const e = c.text_pair === undefined ? tok().encode(c.text) : tok().encodePair(c.text, c.text_pair);
    assert.deepEqual(e.ids, c.input_ids, `${c.name}: ids`);
    assert.deepEqual(e.tokens, c.tokens, `${c.name}: tokens`);
    assert.deepEqual(e.typeIds, c.token_type_ids, `${c.name}: type ids`);
    if (c.text_pair === undefined) {
      assert.deepEqual(tok().encodeBatch([c.text])[0].attentionMask, c.attention_mask, `${c.name}: mask`);
    }
  }
});

test("golden truncations keep [CLS] + content[:L-2] + [SEP] (HF-Python rule)", { skip }, () => {
  let n = 0;
  for (const c of golden().cases) {
    for (const [L, want] of Object.entries(c.input_ids_truncated ?? {})) {
      const e = tok().encode(c.text, { maxLength: Number(L) });
      assert.deepEqual(e.ids, want, `${c.name} maxLength ${L}`);
      assert.equal(e.tokens.length, want.length);
      n++;
    }
    // A limit at or above the length changes nothing.
    if (c.text_pair === undefined) assert.deepEqual(tok().encode(c.text, { maxLength: c.input_ids.length }).ids, c.input_ids);
  }
  assert.ok(n >= 7, `expected the 7 stored truncations, saw ${n}`);
});

test("golden padded batch: right-padded with [PAD]=3, mask 0 on padding", { skip }, () => {
  const g = golden();
  const byName = new Map(g.cases.map((c) => [c.name, c.text]));
  const rows = tok().encodeBatch(g.padded_batch.names.map((n) => byName.get(n)!), { padding: true });
  assert.deepEqual(rows.map((r) => r.ids), g.padded_batch.input_ids);
  assert.deepEqual(rows.map((r) => r.attentionMask), g.padded_batch.attention_mask);
  // Without padding each row is exactly encode().ids.
  const plain = tok().encodeBatch(g.padded_batch.names.map((n) => byName.get(n)!));
  plain.forEach((r, i) => assert.deepEqual(r.ids, tok().encode(byName.get(g.padded_batch.names[i])!).ids));
});

test("special ids, vocab size, id/token lookups", { skip }, () => {
  const t = tok();
  const s = golden().special_ids;
  assert.deepEqual(t.specialIds, { unk: s.UNK, cls: s.CLS, sep: s.SEP, pad: s.PAD, mask: s.MASK });
  assert.equal(t.vocabSize, 4096);
  assert.equal(t.tokenToId("A"), 5);
  assert.equal(t.idToToken(194), "CGTA");
  assert.equal(t.idToToken(4096), undefined);
  assert.equal(t.tokenToId("acgt"), undefined);
});

test("NOTES.md §4 hand examples", { skip }, () => {
  const t = tok();
  assert.deepEqual(t.encode("ACGTAGCA").ids, [1, 5, 194, 32, 2]);
  assert.deepEqual(
    t.encode("ACGTAGCATCGGATCTATCTATCGACACTTGGTTATCGATCTACGAGCATCTCGTTAGC").ids,
    [1, 5, 194, 32, 757, 1239, 2092, 294, 24, 359, 88, 93, 32, 75, 77, 19, 2],
  );
  assert.deepEqual(t.encode("acgtACGT").tokens, ["[CLS]", "[UNK]", "[UNK]", "[UNK]", "[UNK]", "A", "C", "GT", "[SEP]"]);
  assert.deepEqual(t.encode("AC[MASK]GT").tokens, ["[CLS]", "A", "C", "[MASK]", "GT", "[SEP]"]);
});

test("Unicode classes follow Rust regex, not JS \\s/\\w", { skip }, () => {
  const t = tok();
  const acgt = ["A", "C", "GT"];
  // U+00A0 is White_Space: a separator. U+FEFF is not (JS \s says it is): its own [UNK] word.
  assert.deepEqual(t.encode("ACGT\u00a0ACGT").tokens.slice(1, -1), [...acgt, ...acgt]);
  assert.deepEqual(t.encode("ACGT\ufeffACGT").tokens.slice(1, -1), [...acgt, "[UNK]", ...acgt]);
  // é is \w in Rust (JS \w is ASCII-only): one word, one [UNK] per code point; an astral char is one [UNK].
  assert.deepEqual(t.encode("ACGT\u{1F9EC}ACGT").tokens.slice(1, -1), [...acgt, "[UNK]", ...acgt]);
});

test("decode joins tokens with spaces like HF without a decoder", { skip }, () => {
  const t = tok();
  const ids = t.encode("ACGTAGCA").ids;
  assert.equal(t.decode(ids), "[CLS] A CGTA GCA [SEP]");
  assert.equal(t.decode(ids, { skipSpecialTokens: true }), "A CGTA GCA");
  const dna = "GATTACAGATTACACCGTTAGGCAT".repeat(9);
  assert.equal(t.decode(t.encode(dna).ids, { skipSpecialTokens: true }).replaceAll(" ", ""), dna);
  assert.throws(() => t.decode([1, 99999]), InputError);
});

test("truncation edge cases and pair longest_first", { skip }, () => {
  const t = tok();
  const dna = "ACGTTGCA".repeat(200);
  assert.deepEqual(t.encode(dna, { maxLength: 2 }).ids, [1, 2]);
  const e = t.encode(dna, { maxLength: 10 });
  assert.equal(e.ids.length, 10);
  assert.deepEqual(e.ids.slice(0, 9), t.encode(dna).ids.slice(0, 9));
  assert.equal(e.ids[9], 2);
  // Pair: the longer side is cut first; with both long, each side gets half of the content budget.
  const p = t.encodePair(dna, dna, { maxLength: 21 });
  assert.equal(p.ids.length, 21);
  assert.deepEqual(p.typeIds, [...Array(11).fill(0), ...Array(10).fill(1)]); // content budget 18 → 9 + 9
  const short = t.encodePair("ACGT", dna, { maxLength: 12 });
  assert.deepEqual(short.ids.slice(0, 5), [1, 5, 6, 1049, 2]);
  assert.equal(short.ids.length, 12);
});

test("malformed tokenizer.json throws FormatError naming the problem", { skip }, () => {
  const good = JSON.parse(jsonText());
  const bad = (mutate: (j: any) => void, pattern: RegExp): void => {
    const j = structuredClone(good);
    mutate(j);
    assert.throws(() => DnaTokenizer.fromJSON(j), (e: unknown) => e instanceof FormatError && pattern.test(e.message));
  };
  assert.throws(() => DnaTokenizer.fromJSON("{not json"), FormatError);
  assert.throws(() => DnaTokenizer.fromJSON(42 as unknown as object), FormatError);
  bad((j) => { delete j.model; }, /model/);
  bad((j) => { j.model.type = "WordPiece"; }, /BPE/);
  bad((j) => { delete j.model.vocab; }, /model\.vocab/);
  bad((j) => { delete j.model.merges; }, /model\.merges/);
  bad((j) => { j.model.merges[3] = "C X"; }, /merges\[3\].*"X"/);
  bad((j) => { j.model.merges[0] = "AAA"; }, /merges\[0\]/);
  bad((j) => { j.model.vocab.A = -1; }, /vocab/);
  bad((j) => { j.model.unk_token = "<unk>"; }, /unk_token/);
  bad((j) => { j.normalizer = { type: "Lowercase" }; }, /normalizer/);
  bad((j) => { j.pre_tokenizer = { type: "ByteLevel" }; }, /pre_tokenizer/);
  bad((j) => { j.post_processor = { type: "RobertaProcessing" }; }, /post_processor/);
  // Merges in the newer ["a", "b"] form parse to the same tokenizer.
  const j = structuredClone(good);
  j.model.merges = j.model.merges.map((m: string) => m.split(" "));
  assert.deepEqual(DnaTokenizer.fromJSON(j).encode("ACGTAGCA").ids, [1, 5, 194, 32, 2]);
});

test("non-string or bad options throw InputError", { skip }, () => {
  const t = tok();
  assert.throws(() => t.encode(123 as unknown as string), InputError);
  assert.throws(() => t.encode(null as unknown as string), InputError);
  assert.throws(() => t.encodeBatch(["ACGT", 7 as unknown as string]), InputError);
  assert.throws(() => t.encodeBatch("ACGT" as unknown as string[]), InputError);
  assert.throws(() => t.encode("ACGT", { maxLength: 1 }), InputError);
  assert.throws(() => t.encode("ACGT", { maxLength: 2.5 }), InputError);
});

test("bucket-queue BPE equals the heap BPE (HF's algorithm) on random text", { skip }, () => {
  const spec = parseTokenizerJson(jsonText());
  const opts = { vocab: spec.vocab, merges: spec.merges, unkId: 0, fuseUnk: false, ignoreMerges: false };
  const fast = new Bpe(opts), heap = new Bpe({ ...opts, strategy: "heap" });
  assert.equal(fast.bucketed, true, "DNABERT-2's merges are rank-monotone");
  assert.equal(heap.bucketed, false);
  let s = 12345;
  const rnd = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const alphabets = ["ACGT", "AAAAAAAACGT", "ACGTN", "AT", "CCCCG"];
  for (let k = 0; k < 300; k++) {
    const alpha = alphabets[k % alphabets.length];
    const len = 1 + Math.floor(rnd() * (k < 250 ? 300 : 5000));
    let w = "";
    for (let i = 0; i < len; i++) w += alpha[Math.floor(rnd() * alpha.length)];
    const a: number[] = [], b: number[] = [];
    fast.encodeWord(w, 0, w.length, a);
    heap.encodeWord(w, 0, w.length, b);
    assert.deepEqual(a, b, `word ${k} (${alpha}, ${len} chars)`);
  }
});

test("non-monotone merge list falls back to the heap and matches HF order", () => {
  // "A B" creates AB at rank 1, but "AB C" uses it at rank 0: a bucket queue would be wrong here.
  const vocab = { "[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "[PAD]": 3, "[MASK]": 4, A: 5, B: 6, C: 7, AB: 8, ABC: 9, BC: 10 };
  const json = { model: { type: "BPE", vocab, merges: ["AB C", "A B", "B C"], unk_token: "[UNK]" }, pre_tokenizer: { type: "Whitespace" } };
  const t = DnaTokenizer.fromJSON(json);
  // HF: A B C → (A B) rank 1 first (AB C not present yet) → AB C → ABC at rank 0.
  assert.deepEqual(t.encode("ABC").tokens, ["ABC"]);
  assert.deepEqual(t.encode("ABCABC").tokens, ["ABC", "ABC"]);
});
