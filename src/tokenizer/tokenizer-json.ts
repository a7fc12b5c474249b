// Parses and validates a Hugging Face `tokenizer.json` (BPE model) into a plain spec for DnaTokenizer.
// Everything unsupported is rejected here with a FormatError, so encode never meets a surprise.
import { FormatError } from "../errors.js";
import { preview, quote } from "../io/quote.js";

/** One entry of `added_tokens` (matched in the raw text before pre-tokenizing). */
export interface AddedTokenSpec {
  id: number;
  content: string;
  special: boolean;
  lstrip: boolean;
  rstrip: boolean;
  singleWord: boolean;
}

/** A piece of a post-processor template: fixed special ids, or sequence A (0) / B (1). */
export type TemplatePiece =
  | { kind: "special"; ids: number[]; tokens: string[]; typeId: number }
  | { kind: "sequence"; seq: 0 | 1; typeId: number };

export type PreTokenizerKind = "whitespace" | "whitespace-split" | "none";

export interface TokenizerSpec {
  vocab: Map<string, number>;
  merges: Array<[string, string]>;
  unkToken: string | null;
  fuseUnk: boolean;
  ignoreMerges: boolean;
  addedTokens: AddedTokenSpec[];
  preTokenizer: PreTokenizerKind;
  single: TemplatePiece[];
  pair: TemplatePiece[];
}

const fail = (what: string): never => { throw new FormatError(`tokenizer.json: ${what}`); };
const isObj = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);
// Ids index Int32Arrays: one ≥ 2^31 would wrap (every token read as another).
const isId = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 31;

/** Reads the parts of tokenizer.json that HF `tokenizers` uses for a BPE model; throws FormatError naming the bad field. */
export function parseTokenizerJson(json: string | object): TokenizerSpec {
  let root: unknown = json;
  if (typeof json === "string") {
    try { root = JSON.parse(json); } catch (e) { fail(`not valid JSON (${(e as Error).message})`); }
  }
  if (!isObj(root)) return fail("top level must be an object");
  const model = root.model;
  if (!isObj(model)) return fail("`model` is missing");
  if (model.type !== undefined && model.type !== "BPE") fail(`model.type is ${preview(model.type)}; only "BPE" is supported`);
  if (model.type === undefined && !("merges" in model)) fail("model.type is missing and model has no merges (not a BPE model)");
  if (model.dropout != null && model.dropout !== 0) fail(`model.dropout ${preview(model.dropout)} is unsupported (encoding would be random)`);
  if (model.continuing_subword_prefix != null) fail("model.continuing_subword_prefix is unsupported");
  if (model.end_of_word_suffix != null) fail("model.end_of_word_suffix is unsupported");
  if (model.byte_fallback === true) fail("model.byte_fallback is unsupported");
  if (root.normalizer != null) fail(`normalizer ${preview(root.normalizer.type ?? root.normalizer)} is unsupported (DNABERT-2 has none)`);

  if (!isObj(model.vocab)) return fail("model.vocab is missing (expected an object token → id)");
  const vocab = new Map<string, number>();
  const byId = new Map<number, string>();
  for (const [tok, id] of Object.entries(model.vocab)) {
    if (!isId(id)) fail(`model.vocab[${quote(tok)}] = ${preview(id)} is not an integer id in [0, 2^31)`);
    const other = byId.get(id as number);
    if (other !== undefined) fail(`model.vocab: tokens ${quote(other)} and ${quote(tok)} share id ${id}`);
    byId.set(id as number, tok);
    vocab.set(tok, id as number);
  }
  if (vocab.size === 0) fail("model.vocab is empty");

  if (!Array.isArray(model.merges)) return fail("model.merges is missing (expected an array)");
  const merges: Array<[string, string]> = [];
  model.merges.forEach((m: unknown, i: number) => {
    // Two serializations exist: "a b" (tokenizers < 0.20) and ["a", "b"] (newer).
    const parts = typeof m === "string" ? m.split(" ") : m;
    if (!Array.isArray(parts) || parts.length !== 2 || typeof parts[0] !== "string" || typeof parts[1] !== "string") {
      fail(`model.merges[${i}] = ${preview(m)} is not a pair "a b" or ["a", "b"]`);
    }
    const [a, b] = parts as [string, string];
    for (const t of [a, b, a + b]) if (!vocab.has(t)) fail(`model.merges[${i}] ${quote(`${a} ${b}`)}: ${quote(t)} is not in model.vocab`);
    merges.push([a, b]);
  });

  const unkToken = model.unk_token ?? null;
  if (unkToken !== null && (typeof unkToken !== "string" || !vocab.has(unkToken))) {
    fail(`model.unk_token ${preview(unkToken)} is not in model.vocab`);
  }

  const addedTokens: AddedTokenSpec[] = [];
  if (root.added_tokens != null && !Array.isArray(root.added_tokens)) fail("added_tokens must be an array");
  (root.added_tokens ?? []).forEach((t: any, i: number) => {
    if (!isObj(t) || !isId(t.id) || typeof t.content !== "string" || t.content === "") {
      fail(`added_tokens[${i}] needs an integer id and a non-empty string content`);
    }
    // An added token may be a vocab token itself (the specials usually are), but may not take another token's id.
    const owner = byId.get(t.id);
    if (owner !== undefined && owner !== t.content) fail(`added_tokens[${i}] ${quote(t.content)} reuses id ${t.id} of vocab token ${quote(owner)}`);
    addedTokens.push({ id: t.id, content: t.content, special: !!t.special, lstrip: !!t.lstrip, rstrip: !!t.rstrip, singleWord: !!t.single_word });
  });

  const preTokenizer = parsePreTokenizer(root.pre_tokenizer);
  const tokenId = (tok: unknown, where: string): number => {
    const id = typeof tok === "string" ? addedTokens.find((t) => t.content === tok)?.id ?? vocab.get(tok) : undefined;
    return id ?? fail(`${where}: token ${preview(tok)} is not in the vocabulary`);
  };
  // Every id a template emits must be one the tokenizer knows: encode's ids index the embedding table.
  const known = (id: number) => byId.has(id) || addedTokens.some((t) => t.id === id);
  const { single, pair } = parsePostProcessor(root.post_processor, tokenId, known);
  return { vocab, merges, unkToken, fuseUnk: !!model.fuse_unk, ignoreMerges: !!model.ignore_merges, addedTokens, preTokenizer, single, pair };
}

/** Sequences inside Sequences: real files have one level; a hostile one may nest 10^5 deep. */
const MAX_PRE_TOKENIZER_DEPTH = 16;

function parsePreTokenizer(p: any): PreTokenizerKind {
  // A Sequence of one supported pre-tokenizer is what some exporters write: unwrapped in a loop, depth-bounded.
  for (let depth = 0; p != null && p.type === "Sequence" && Array.isArray(p.pretokenizers) && p.pretokenizers.length === 1; depth++) {
    if (depth === MAX_PRE_TOKENIZER_DEPTH) fail(`pre_tokenizer Sequences are nested more than ${MAX_PRE_TOKENIZER_DEPTH} deep`);
    p = p.pretokenizers[0];
  }
  if (p == null) return "none";
  if (p.type === "Whitespace") return "whitespace";
  if (p.type === "WhitespaceSplit") return "whitespace-split";
  return fail(`pre_tokenizer ${preview(p.type)} is unsupported (expected Whitespace, WhitespaceSplit or null)`);
}

function parsePostProcessor(p: any, tokenId: (t: unknown, where: string) => number, known: (id: number) => boolean): { single: TemplatePiece[]; pair: TemplatePiece[] } {
  const seq = (s: 0 | 1, typeId: number): TemplatePiece => ({ kind: "sequence", seq: s, typeId });
  if (p == null) return { single: [seq(0, 0)], pair: [seq(0, 0), seq(1, 1)] };
  if (p.type === "BertProcessing") {
    const sp = (pairv: unknown, name: string, typeId: number): TemplatePiece => {
      if (!Array.isArray(pairv) || typeof pairv[0] !== "string") return fail(`post_processor.${name} must be [token, id]`);
      return { kind: "special", ids: [tokenId(pairv[0], `post_processor.${name}`)], tokens: [pairv[0]], typeId };
    };
    return {
      single: [sp(p.cls, "cls", 0), seq(0, 0), sp(p.sep, "sep", 0)],
      pair: [sp(p.cls, "cls", 0), seq(0, 0), sp(p.sep, "sep", 0), seq(1, 1), sp(p.sep, "sep", 1)],
    };
  }
  if (p.type !== "TemplateProcessing") return fail(`post_processor ${preview(p.type)} is unsupported`);
  const specials = isObj(p.special_tokens) ? p.special_tokens : {};
  const pieces = (list: unknown, name: string): TemplatePiece[] => {
    if (!Array.isArray(list)) return fail(`post_processor.${name} must be an array`);
    return list.map((item: any, i: number): TemplatePiece => {
      const where = `post_processor.${name}[${i}]`;
      const typeId = (v: unknown): number => (v == null ? 0 : isId(v) ? v : fail(`${where}: type_id ${preview(v)} is not an integer in [0, 2^31)`));
      if (isObj(item?.Sequence)) {
        const id = item.Sequence.id;
        if (id !== "A" && id !== "B") fail(`${where}: sequence id must be "A" or "B"`);
        return seq(id === "A" ? 0 : 1, typeId(item.Sequence.type_id));
      }
      if (isObj(item?.SpecialToken)) {
        const name2 = item.SpecialToken.id;
        // The template names a special; its ids/tokens come from special_tokens (may be several ids).
        if (typeof name2 === "string" && Object.hasOwn(specials, name2)) {
          const def = specials[name2];
          if (!isObj(def) || !Array.isArray(def.ids) || !Array.isArray(def.tokens) || def.ids.length !== def.tokens.length ||
            !def.ids.every((x: unknown) => isId(x) && known(x)) || !def.tokens.every((x: unknown) => typeof x === "string")) {
            fail(`post_processor.special_tokens[${quote(name2)}] needs ids the vocabulary has and as many token strings`);
          }
          return { kind: "special", ids: def.ids.slice(), tokens: def.tokens.slice(), typeId: typeId(item.SpecialToken.type_id) };
        }
        return { kind: "special", ids: [tokenId(name2, where)], tokens: [name2], typeId: typeId(item.SpecialToken.type_id) };
      }
      return fail(`${where} is neither a Sequence nor a SpecialToken`);
    });
  };
  const single = pieces(p.single, "single");
  // Without $A the template drops the input: every text would encode to the same specials (and embed the same).
  if (!single.some((x) => x.kind === "sequence" && x.seq === 0)) fail("post_processor.single has no Sequence A: the input text would be dropped");
  // Each sequence exactly once: truncation to maxLength counts every content token once (a template repeating $A
  // would overrun maxLength), and a pair template without $B would drop the second text.
  const uses = (t: TemplatePiece[], k: 0 | 1) => t.filter((x) => x.kind === "sequence" && x.seq === k).length;
  if (uses(single, 0) !== 1 || uses(single, 1) !== 0) fail("post_processor.single must use Sequence A once and Sequence B never");
  const pair = pieces(p.pair, "pair");
  if (uses(pair, 0) !== 1 || uses(pair, 1) !== 1) fail("post_processor.pair must use Sequence A and Sequence B once each");
  return { single, pair };
}
