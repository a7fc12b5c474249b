// Fuzz target: DnaTokenizer.fromJSON (tokenizer.json, as text and as an object). Seeds: the fixtures' DNABERT-2
// tokenizer.json and small random BPE tokenizers. Mutations: vocab ids (huge, negative, duplicate, fractional),
// merges, unk/added tokens, pre_tokenizer Sequences nested up to 10^5 deep, post-processor templates (type ids,
// special-token ids), unsupported normalizers, deep or DAG-shaped values (object input), raw byte edits.
// Oracle: an accepted tokenizer encodes seeded texts (single, pair, batch, truncated) to ids that are integers in
// [0, vocabSize) that decode() knows, one token string and one non-negative integer type id per id, within maxLength.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../../../src/errors.js";
import { DnaTokenizer, type Encoding } from "../../../src/tokenizer/tokenizer.js";
import { fixturesDir } from "../../helpers/fixtures.js";
import { JsonDoc, mutateJson, type Json } from "../json-mutate.js";
import { mutateBytes, type Rand } from "../rand.js";
import { SilentWrong, type Target } from "../target.js";

let fixture: Json | undefined;
const SPECIALS = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"];

function randomTokenizer(r: Rand): Json {
  const vocab: Record<string, number> = {};
  let id = 0;
  for (const t of [...SPECIALS, "A", "C", "G", "T", "N"]) vocab[t] = id++;
  const toks = ["A", "C", "G", "T"], merges: Json[] = [];
  for (let k = r.range(0, 30); k > 0; k--) {
    const a = r.pick(toks), b = r.pick(toks);
    if (a + b in vocab || (a + b).length > 8) continue;
    vocab[a + b] = id++;
    toks.push(a + b);
    merges.push(r.chance(0.5) ? `${a} ${b}` : [a, b]);
  }
  const special = (t: string) => ({ SpecialToken: { id: t, type_id: 0 } }), seq = (s: string, t: number) => ({ Sequence: { id: s, type_id: t } });
  return {
    version: "1.0",
    added_tokens: SPECIALS.map((t, i) => ({ id: i, content: t, special: true, single_word: false, lstrip: false, rstrip: false, normalized: false })),
    normalizer: null,
    pre_tokenizer: r.pick<Json>([{ type: "Whitespace" }, { type: "WhitespaceSplit" }, { type: "Sequence", pretokenizers: [{ type: "Whitespace" }] }, null]),
    post_processor: {
      type: "TemplateProcessing", single: [special("[CLS]"), seq("A", 0), special("[SEP]")],
      pair: [special("[CLS]"), seq("A", 0), special("[SEP]"), seq("B", 1), special("[SEP]")],
      special_tokens: { "[CLS]": { id: "[CLS]", ids: [1], tokens: ["[CLS]"] }, "[SEP]": { id: "[SEP]", ids: [2], tokens: ["[SEP]"] } },
    },
    model: { type: "BPE", dropout: null, unk_token: "[UNK]", continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: r.chance(0.3), vocab, merges },
  };
}

const PREFIXES: [number, string[]][] = [[3, ["model", "vocab"]], [2, ["model", "merges"]], [1, ["model"]], [2, ["added_tokens"]], [1, ["pre_tokenizer"]],
  [2, ["post_processor"]], [1, ["post_processor", "special_tokens"]], [0.5, ["normalizer"]], [0.5, []]];

function special(r: Rand, doc: JsonDoc): string {
  const root = { ...(doc.value as Record<string, Json>) };
  doc.value = root;
  switch (r.int(3)) {
    case 0: { // Sequence pre-tokenizers nested d deep
      const d = r.pick([2, 10, 1000, 10_000, 100_000]);
      root.pre_tokenizer = doc.raw('{"type":"Sequence","pretokenizers":['.repeat(d) + '{"type":"Whitespace"}' + "]}".repeat(d));
      return `pre_tokenizer nested ${d}`;
    }
    case 1: { // a template type id
      const pp = root.post_processor as Record<string, Json[]> | null;
      const piece = pp && Array.isArray(pp.single) && pp.single.length ? (pp.single[r.int(pp.single.length)] as Record<string, Record<string, Json>>) : undefined;
      const inner = piece && (piece.Sequence ?? piece.SpecialToken);
      if (inner && typeof inner === "object") inner.type_id = r.pick([-1, 1.5, 2 ** 31, 2 ** 53, "0", null, [0]] as Json[]);
      return "template type_id";
    }
    default: { // special-token ids no vocab entry has
      const pp = root.post_processor as Record<string, Record<string, Record<string, Json>>> | null;
      const st = pp?.special_tokens?.["[CLS]"];
      if (st && typeof st === "object") st.ids = [r.pick([4096, 2 ** 31 - 1, 99, 0]), ...(r.chance(0.3) ? [1] : [])];
      return "special_tokens ids";
    }
  }
}

const dag = (): unknown => { let x: unknown = [1]; for (let k = 0; k < 44; k++) x = [x, x]; return x; };

function make(r: Rand): { data: { text?: string; obj?: unknown; probes: string[] }; what: string[] } {
  const big = fixture !== undefined && r.chance(0.25);
  const doc = new JsonDoc(big ? fixture! : randomTokenizer(r));
  const what = [big ? "fixture" : "random"];
  // special() edits the post-processor in place: the shared fixture keeps its own.
  const root = doc.value as Record<string, Json>;
  doc.value = { ...root, post_processor: JSON.parse(JSON.stringify(root.post_processor ?? null)) as Json };
  for (let k = r.range(1, 3); k > 0; k--) what.push(r.chance(0.2) ? special(r, doc) : mutateJson(r, doc, r.weighted(PREFIXES)));
  let text = doc.serialize();
  const probes = Array.from({ length: 3 }, () => {
    let s = Array.from({ length: r.small(300) }, () => r.pick("ACGTACGTACGTN".split(""))).join("");
    if (r.chance(0.3)) s = s.toLowerCase();
    if (r.chance(0.4)) { const at = r.int(s.length + 1); s = s.slice(0, at) + r.pick(["[MASK]", " ", "[CLS]", "é", "\u0000", "  A  ", "[UNK]"]) + s.slice(at); }
    return s;
  });
  if (r.chance(0.1)) {
    // The object API: a parsed document, with now and then a DAG (2^44 leaves as a tree) where a string belongs.
    let obj: unknown;
    try { obj = JSON.parse(text); } catch { obj = undefined; }
    if (obj && typeof obj === "object" && r.chance(0.6)) {
      const o = obj as Record<string, Record<string, unknown>>;
      const slot = r.int(4), isObj = (v: unknown) => typeof v === "object" && v !== null;
      if (slot === 0 && isObj(o.model)) o.model.type = dag();
      else if (slot === 1) o.normalizer = dag() as never;
      else if (slot === 2 && isObj(o.pre_tokenizer)) o.pre_tokenizer.type = dag();
      else if (isObj(o.model)) o.model.unk_token = dag();
      what.push(`dag in slot ${slot}`);
    }
    return { data: { obj, probes }, what: [...what, "object"] };
  }
  if (r.chance(0.1)) { const m = mutateBytes(r, new TextEncoder().encode(text)); text = new TextDecoder().decode(m.bytes); what.push(m.what); }
  return { data: { text, probes }, what };
}

function checkEncoding(tok: DnaTokenizer, e: Encoding, max?: number): void {
  if (e.ids.length !== e.tokens.length || e.ids.length !== e.typeIds.length) throw new SilentWrong("ids, tokens and type ids differ in length");
  if (max !== undefined && e.ids.length > max) throw new SilentWrong(`${e.ids.length} ids past maxLength ${max}`);
  e.ids.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= tok.vocabSize) throw new SilentWrong(`id ${id} outside [0, vocabSize ${tok.vocabSize})`);
    if (tok.idToToken(id) === undefined) throw new SilentWrong(`id ${id} has no token`);
    if (typeof e.tokens[i] !== "string") throw new SilentWrong(`token ${i} is not a string`);
    const t = e.typeIds[i];
    if (!Number.isInteger(t) || t! < 0 || t! >= 2 ** 31) throw new SilentWrong(`type id ${String(t).slice(0, 20)}`);
  });
  tok.decode(e.ids);
}

export const tokenizerTarget: Target = {
  name: "tokenizer",
  async setup() {
    const dir = fixturesDir();
    if (dir) fixture = JSON.parse(readFileSync(join(dir, "tiny-softmax1", "tokenizer.json"), "utf8")) as Json;
  },
  make,
  check(input) {
    const { text, obj, probes } = input.data as { text?: string; obj?: unknown; probes: string[] };
    const tok = DnaTokenizer.fromJSON((text ?? obj) as string);
    const [a, b, c] = probes as [string, string, string];
    checkEncoding(tok, tok.encode(a));
    checkEncoding(tok, tok.encodePair(a, b));
    for (const max of [8, 64]) {
      try { checkEncoding(tok, tok.encode(c, { maxLength: max }), max); checkEncoding(tok, tok.encodePair(b, c, { maxLength: max }), max); } catch (e) {
        if (!(e instanceof InputError)) throw e; // a template with more specials than maxLength allows
      }
    }
    for (const row of tok.encodeBatch([a, b, c], { padding: true })) {
      if (!row.ids.every((id) => Number.isInteger(id) && id >= 0 && id < tok.vocabSize)) throw new SilentWrong("padded batch id out of range");
    }
  },
  bytes: (input) => new TextEncoder().encode((input.data as { text?: string }).text ?? ""),
};
