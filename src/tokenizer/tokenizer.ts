// DNABERT-2 tokenizer: HF `tokenizer.json` BPE with the exact HF `tokenizers` pipeline
// (added tokens → Whitespace pre-tokenizer → BPE → `[CLS] $A [SEP]` template) and HF-Python truncation.
import { FormatError, InputError } from "../errors.js";
import { Bpe } from "./bpe.js";
import { AddedTokenMatcher, forEachWord } from "./pre-tokenize.js";
import { parseTokenizerJson, type PreTokenizerKind, type TemplatePiece } from "./tokenizer-json.js";

/**
 * Options of {@link DnaTokenizer.encode} and {@link DnaTokenizer.encodePair}.
 * @category Tokenizer
 */
export interface EncodeOptions {
  /** Total length including [CLS]/[SEP]; content is cut to maxLength − added specials (HF-Python rule). */
  maxLength?: number;
  /**
   * Also return {@link Encoding.offsets}: each token's `[start, end)` in its input string (UTF-16 indices, so
   * `text.slice(start, end)` is the token's text). Costs one pass over the tokens; off by default.
   */
  offsets?: boolean;
}

/**
 * A token's span `[start, end)` in its input string: 0-based, end exclusive, in UTF-16 code units (JS string
 * indices). Special tokens get an empty span `[p, p)` at the end of the token before them ([CLS] → [0, 0)).
 * @category Tokenizer
 */
export type TokenOffset = [start: number, end: number];

/**
 * One encoded sequence (or pair), with the template's special tokens in place.
 * @category Tokenizer
 */
export interface Encoding {
  /** Token ids, [CLS] first and [SEP] last. */
  ids: number[];
  /** The token strings of `ids` ("[CLS]", "A", "CGTA", …). */
  tokens: string[];
  /** token_type_ids from the post-processor template (all 0 for a single sequence). */
  typeIds: number[];
  /**
   * With `{ offsets: true }` only: per token, its `[start, end)` in the input string it came from (for a pair, A's
   * or B's, as `typeIds` says). No normalizer runs (DNABERT-2 has none: case is kept, "acgt" becomes [UNK]s), so
   * spans index the original string: a content token's span covers exactly its piece (`tokens[i]`), an [UNK] the
   * characters it stands for (a run of them with fuse_unk), an added token found in the text its match (with any
   * whitespace its lstrip/rstrip swallow). Whitespace between words belongs to no token. Specials get `[p, p)`
   * where p is the previous token's end ([CLS] [0, 0), the final [SEP] the end of the last token kept), so after
   * truncation the last [SEP] says where the kept text stops.
   */
  offsets?: TokenOffset[];
}

/**
 * Options of {@link DnaTokenizer.encodeBatch}.
 * @category Tokenizer
 */
export interface BatchOptions extends EncodeOptions {
  /** Right-pad every row with [PAD] to the longest row (what DNABERT-2's train.py asks for). */
  padding?: boolean;
}

/**
 * Ids of the special tokens ({@link DnaTokenizer.specialIds}); DNABERT-2's are [UNK] 0, [CLS] 1, [SEP] 2,
 * [PAD] 3, [MASK] 4.
 * @category Tokenizer
 */
export interface SpecialIds {
  /** The unknown token [UNK], which characters outside the vocabulary (anything but ACGTN words) become. */
  unk: number;
  /** [CLS], first token of every encoding. */
  cls: number;
  /** [SEP], last token of every encoding (and between the two sequences of a pair). */
  sep: number;
  /** [PAD], what encodeBatch pads with. */
  pad: number;
  /** [MASK], for maskedLM inputs. */
  mask: number;
}

/**
 * DNABERT-2 / GERM tokenizer, token-for-token identical to HF `tokenizers` on DNABERT-2's tokenizer.json. A loaded
 * model has one ({@link GermModel.tokenizer}); {@link DnaTokenizer.fromJSON} makes one from a tokenizer.json alone.
 * @category Tokenizer
 * @example
 * ```ts
 * import { readFileSync } from "node:fs";
 * const tok = DnaTokenizer.fromJSON(readFileSync("tokenizer.json", "utf8"));
 * tok.encode("ACGTAGCA").ids;                  // [1, 5, 194, 32, 2]
 * tok.encode("ACGT".repeat(1000), { maxLength: 512 }).ids.length; // 512, last id [SEP] = 2
 * tok.decode([1, 5, 194, 32, 2]);              // "[CLS] A CGTA GCA [SEP]"
 * ```
 */
export class DnaTokenizer {
  /** Number of embedding rows the ids address: max id + 1 over vocab and added tokens. */
  readonly vocabSize: number;
  /** Ids of [UNK], [CLS], [SEP], [PAD] and [MASK]. */
  readonly specialIds: Readonly<SpecialIds>;
  private readonly bpe: Bpe;
  private readonly matcher: AddedTokenMatcher;
  private readonly preTokenizer: PreTokenizerKind;
  private readonly single: TemplatePiece[];
  private readonly pair: TemplatePiece[];
  private readonly idToTok: string[] = [];
  private readonly tokToId = new Map<string, number>();
  private readonly specialSet = new Set<number>();
  /** The BPE model vocabulary (what single characters exist), and fuse_unk: offsets need both. */
  private readonly vocab: Map<string, number>;
  private readonly fuseUnk: boolean;

  private constructor(json: string | object) {
    const spec = parseTokenizerJson(json);
    for (const [t, id] of spec.vocab) { this.idToTok[id] = t; this.tokToId.set(t, id); }
    // HF looks added tokens up before the model vocab, so they win on a clash.
    for (const t of spec.addedTokens) {
      this.idToTok[t.id] = t.content;
      this.tokToId.set(t.content, t.id);
      if (t.special) this.specialSet.add(t.id);
    }
    this.vocabSize = this.idToTok.length;
    const need = (name: string, tok: string | null): number =>
      (tok === null ? undefined : this.tokToId.get(tok)) ?? fail(`special token ${name} ${JSON.stringify(tok)} is not in the vocabulary`);
    this.specialIds = Object.freeze({
      unk: need("unk", spec.unkToken), cls: need("cls", "[CLS]"), sep: need("sep", "[SEP]"),
      pad: need("pad", "[PAD]"), mask: need("mask", "[MASK]"),
    });
    this.bpe = new Bpe({ vocab: spec.vocab, merges: spec.merges, unkId: this.specialIds.unk, fuseUnk: spec.fuseUnk, ignoreMerges: spec.ignoreMerges });
    this.matcher = new AddedTokenMatcher(spec.addedTokens);
    this.preTokenizer = spec.preTokenizer;
    this.single = spec.single;
    this.pair = spec.pair;
    this.vocab = spec.vocab;
    this.fuseUnk = spec.fuseUnk;
  }

  /**
   * Parses tokenizer.json (text or parsed object). Throws FormatError naming what is wrong.
   * @example
   * const url = "https://huggingface.co/zhihan1996/DNABERT-2-117M/resolve/main/tokenizer.json";
   * const tok = DnaTokenizer.fromJSON(await (await fetch(url)).text());
   */
  static fromJSON(json: string | object): DnaTokenizer {
    if (typeof json !== "string" && (typeof json !== "object" || json === null)) {
      throw new FormatError(`tokenizer.json: expected a JSON string or object, got ${describe(json)}`);
    }
    return new DnaTokenizer(json);
  }

  /**
   * Encodes one sequence as `[CLS] … [SEP]`; `maxLength` truncates as HF-Python does.
   * @example
   * const { ids, tokens } = model.tokenizer.encode("ACGTAGCA");
   * // ids [1, 5, 194, 32, 2], tokens ["[CLS]", "A", "CGTA", "GCA", "[SEP]"]
   * model.tokenizer.encode("ACGTAGCA", { offsets: true }).offsets;
   * // [[0, 0], [0, 1], [1, 5], [5, 8], [8, 8]]: text.slice(1, 5) === "CGTA"
   */
  encode(text: string, opts: EncodeOptions = {}): Encoding {
    const content = this.content(text, "encode");
    const limit = this.contentLimit(this.single, opts.maxLength, "encode");
    const enc = this.assemble(this.single, [content.length > limit ? content.slice(0, limit) : content]);
    if (opts.offsets) enc.offsets = this.withSpecials(this.single, [this.spans(text, content).slice(0, limit)]);
    return enc;
  }

  /**
   * Encodes a pair as `[CLS] A [SEP] B [SEP]` (type ids 0 then 1); truncation is HF's longest_first.
   * @example
   * const { ids, typeIds } = model.tokenizer.encodePair("ACGTAGCA", "TTGACA", { maxLength: 16 });
   * // offsets (with { offsets: true }) index A for type id 0 and B for type id 1
   */
  encodePair(a: string, b: string, opts: EncodeOptions = {}): Encoding {
    let ca = this.content(a, "encodePair"), cb = this.content(b, "encodePair");
    const limit = this.contentLimit(this.pair, opts.maxLength, "encodePair");
    if (ca.length + cb.length > limit) {
      // tokenizers' truncate_encodings, LongestFirst with a pair.
      let n1 = Math.min(ca.length, cb.length), n2 = Math.max(ca.length, cb.length);
      n2 = n1 > limit ? n1 : Math.max(n1, limit - n1);
      if (n1 + n2 > limit) { n1 = Math.floor(limit / 2); n2 = n1 + (limit % 2); }
      const [la, lb] = ca.length > cb.length ? [n2, n1] : [n1, n2];
      ca = ca.slice(0, la);
      cb = cb.slice(0, lb);
    }
    const enc = this.assemble(this.pair, [ca, cb]);
    if (opts.offsets) enc.offsets = this.withSpecials(this.pair, [this.spans(a, ca), this.spans(b, cb)]);
    return enc;
  }

  /**
   * Encodes many sequences; with `padding` every row is right-padded with [PAD] to the longest. Returns, per text,
   * its `ids` and an `attentionMask` (1 for a token, 0 for padding). GermModel needs no padding (it packs batches).
   * @example
   * const rows = model.tokenizer.encodeBatch(["ACGTAGCA", "TTGACAGGA"], { padding: true, maxLength: 512 });
   * rows.map((r) => r.attentionMask); // 1 per token, 0 per [PAD]
   */
  encodeBatch(texts: string[], opts: BatchOptions = {}): {
    /** Token ids, right-padded with [PAD] when `padding`. */
    ids: number[];
    /** 1 for a token, 0 for padding. */
    attentionMask: number[];
  }[] {
    if (!Array.isArray(texts)) throw new InputError(`DnaTokenizer.encodeBatch: texts must be an array of strings, got ${describe(texts)}`);
    const rows = texts.map((t, i) => {
      if (typeof t !== "string") throw new InputError(`DnaTokenizer.encodeBatch: texts[${i}] must be a string, got ${describe(t)}`);
      const ids = this.encode(t, opts).ids;
      return { ids, attentionMask: ids.map(() => 1) };
    });
    if (opts.padding) {
      const width = rows.reduce((m, r) => Math.max(m, r.ids.length), 0);
      for (const r of rows) {
        while (r.ids.length < width) { r.ids.push(this.specialIds.pad); r.attentionMask.push(0); }
      }
    }
    return rows;
  }

  /**
   * Ids back to text as HF does without a decoder: tokens joined by single spaces
   * (`[CLS] A CGTA GCA [SEP]`). `skipSpecialTokens` drops special tokens first.
   * @example
   * model.tokenizer.decode([1, 5, 194, 32, 2], { skipSpecialTokens: true }); // "A CGTA GCA"
   */
  decode(ids: number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    if (!Array.isArray(ids)) throw new InputError(`DnaTokenizer.decode: ids must be an array, got ${describe(ids)}`);
    const parts: string[] = [];
    ids.forEach((id, i) => {
      const tok = Number.isInteger(id) ? this.idToTok[id] : undefined;
      if (tok === undefined) throw new InputError(`DnaTokenizer.decode: ids[${i}] = ${String(id)} is not a token id (vocab size ${this.vocabSize})`);
      if (!(opts.skipSpecialTokens && this.specialSet.has(id))) parts.push(tok);
    });
    return parts.join(" ");
  }

  /**
   * The token string of an id, or undefined when no token has it.
   * @example
   * model.tokenizer.idToToken(1); // "[CLS]"
   */
  idToToken(id: number): string | undefined {
    return Number.isInteger(id) ? this.idToTok[id] : undefined;
  }

  /**
   * The id of a token string (vocabulary or added token), or undefined.
   * @example
   * model.tokenizer.tokenToId("[MASK]"); // 4 in DNABERT-2's vocabulary
   */
  tokenToId(t: string): number | undefined {
    return this.tokToId.get(t);
  }

  /** Content ids of one text (no template specials). */
  private content(text: string, op: string): number[] {
    if (typeof text !== "string") throw new InputError(`DnaTokenizer.${op}: text must be a string, got ${describe(text)}`);
    const ids: number[] = [];
    const word = (s: number, e: number): void => this.bpe.encodeWord(text, s, e, ids);
    for (const [s, e, id] of this.matcher.split(text)) {
      if (id >= 0) ids.push(id);
      else forEachWord(this.preTokenizer, text, s, e, word);
    }
    return ids;
  }

  /**
   * Spans of the first `ids.length` content tokens of `text`, recomputed after tokenization (BPE stays untouched and
   * its cache keeps working): added tokens where the matcher found them; inside a word, each token consumes its
   * piece's length, an [UNK] one code point (with fuse_unk the whole run of out-of-vocabulary code points).
   */
  private spans(text: string, ids: readonly number[]): TokenOffset[] {
    const out: TokenOffset[] = [];
    const unk = this.specialIds.unk;
    const oov = (i: number): boolean => i < text.length && !this.vocab.has(String.fromCodePoint(text.codePointAt(i)!));
    const cpLen = (i: number): number => (text.codePointAt(i)! > 0xffff ? 2 : 1);
    const word = (s: number, e: number): void => {
      let p = s;
      while (p < e && out.length < ids.length) {
        const id = ids[out.length];
        let q: number;
        if (id === unk) { // inside a word [UNK] only comes from out-of-vocabulary characters
          q = p + cpLen(p);
          if (this.fuseUnk) while (q < e && oov(q)) q += cpLen(q);
        } else q = p + this.idToTok[id]!.length;
        out.push([p, Math.min(q, e)]);
        p = q;
      }
    };
    for (const [s, e, id] of this.matcher.split(text)) {
      if (out.length >= ids.length) break;
      if (id >= 0) out.push([s, e]);
      else forEachWord(this.preTokenizer, text, s, e, word);
    }
    return out;
  }

  /** Offsets of a whole encoding: content spans per sequence, an empty span at the previous end for each special. */
  private withSpecials(template: TemplatePiece[], seqs: TokenOffset[][]): TokenOffset[] {
    const out: TokenOffset[] = [];
    let p = 0;
    for (const t of template) {
      if (t.kind === "special") for (let k = 0; k < t.ids.length; k++) out.push([p, p]);
      else {
        p = 0;
        for (const sp of seqs[t.seq] ?? []) { out.push(sp); p = sp[1]; }
      }
    }
    return out;
  }

  /** Content tokens allowed by maxLength after the template's specials (Infinity when none). */
  private contentLimit(template: TemplatePiece[], maxLength: number | undefined, op: string): number {
    if (maxLength === undefined) return Infinity;
    const added = template.reduce((n, p) => n + (p.kind === "special" ? p.ids.length : 0), 0);
    if (!Number.isInteger(maxLength) || maxLength < added) {
      throw new InputError(`DnaTokenizer.${op}: maxLength ${String(maxLength)} must be an integer ≥ ${added} (the special tokens it adds)`);
    }
    return maxLength - added;
  }

  private assemble(template: TemplatePiece[], seqs: number[][]): Encoding {
    const ids: number[] = [], tokens: string[] = [], typeIds: number[] = [];
    for (const p of template) {
      if (p.kind === "special") {
        p.ids.forEach((id, k) => { ids.push(id); tokens.push(p.tokens[k] ?? this.idToTok[id]); typeIds.push(p.typeId); });
      } else {
        for (const id of seqs[p.seq] ?? []) { ids.push(id); tokens.push(this.idToTok[id]); typeIds.push(p.typeId); }
      }
    }
    return { ids, tokens, typeIds };
  }
}

function fail(what: string): never {
  throw new FormatError(`tokenizer.json: ${what}`);
}

function describe(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v;
}
