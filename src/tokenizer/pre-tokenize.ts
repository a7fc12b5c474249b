// Splitting before BPE: added/special tokens found in the raw text (leftmost-longest, like HF's
// aho-corasick), then the Whitespace pre-tokenizer `\w+|[^\w\s]+` with Rust `regex` Unicode classes.
import type { AddedTokenSpec, PreTokenizerKind } from "./tokenizer-json.js";

// Rust regex: \w = Alphabetic + M + Nd + Pc + Join_Control, \s = White_Space. JS `\s` would also take
// U+FEFF (not White_Space), and JS `\w` is ASCII-only, so spell the Unicode properties out.
const WORD_RE = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;
const SPACE_RE = /\p{White_Space}/u;
const SPACE = 0, WORD = 1, PUNCT = 2;
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  ASCII_CLASS[c] = SPACE_RE.test(ch) ? SPACE : WORD_RE.test(ch) ? WORD : PUNCT;
}

function classOf(cp: number): number {
  if (cp < 128) return ASCII_CLASS[cp];
  const ch = String.fromCodePoint(cp);
  return SPACE_RE.test(ch) ? SPACE : WORD_RE.test(ch) ? WORD : PUNCT;
}

const isWordCp = (cp: number | undefined): boolean => cp !== undefined && classOf(cp) === WORD;
const isSpaceCp = (cp: number | undefined): boolean => cp !== undefined && classOf(cp) === SPACE;

/** Calls `word(start, end)` for each pre-tokenized word of text[start, end); whitespace is dropped. */
export function forEachWord(kind: PreTokenizerKind, text: string, start: number, end: number, word: (s: number, e: number) => void): void {
  if (kind === "none") { if (end > start) word(start, end); return; }
  let runStart = -1, runClass = SPACE;
  for (let i = start; i < end; ) {
    let cp = text.charCodeAt(i);
    let w = 1;
    if (cp >= 0xd800 && cp <= 0xdbff) { cp = text.codePointAt(i)!; w = cp > 0xffff ? 2 : 1; }
    let cls = classOf(cp);
    // WhitespaceSplit only separates on whitespace: every other char joins the same run.
    if (kind === "whitespace-split" && cls !== SPACE) cls = WORD;
    if (cls !== runClass) {
      if (runClass !== SPACE) word(runStart, i);
      runStart = i;
      runClass = cls;
    }
    i += w;
  }
  if (runClass !== SPACE) word(runStart, end);
}

/** Finds added tokens in raw text. `split` returns segments [start, end, id], id -1 for ordinary text. */
export class AddedTokenMatcher {
  // Candidates by first UTF-16 unit, longest first, so the first hit at a position is the longest.
  private readonly byFirst = new Map<number, AddedTokenSpec[]>();
  // Cheap per-char filter so plain DNA skips the Map lookup at every position.
  private readonly firstAscii = new Uint8Array(128);
  private anyNonAsciiFirst = false;

  constructor(tokens: AddedTokenSpec[]) {
    for (const t of tokens) {
      const c = t.content.charCodeAt(0);
      const list = this.byFirst.get(c) ?? [];
      list.push(t);
      this.byFirst.set(c, list);
      if (c < 128) this.firstAscii[c] = 1; else this.anyNonAsciiFirst = true;
    }
    for (const list of this.byFirst.values()) list.sort((a, b) => b.content.length - a.content.length);
  }

  split(text: string): Array<[number, number, number]> {
    const out: Array<[number, number, number]> = [];
    let offset = 0; // end of the last emitted segment
    if (this.byFirst.size > 0) {
      const first = this.firstAscii, nonAscii = this.anyNonAsciiFirst;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c < 128 ? first[c] === 0 : !nonAscii) continue;
        const list = this.byFirst.get(c);
        if (list === undefined) continue;
        const t = list.find((c) => text.startsWith(c.content, i) && this.acceptSingleWord(c, text, i));
        if (t === undefined) continue;
        let s = i, e = i + t.content.length;
        // lstrip/rstrip swallow neighbouring whitespace into the token, as HF AddedVocabulary does.
        if (t.lstrip) while (s > offset && isSpaceCp(text.codePointAt(s - 1))) s--;
        if (t.rstrip) while (e < text.length && isSpaceCp(text.codePointAt(e))) e++;
        if (s > offset) out.push([offset, s, -1]);
        out.push([s, e, t.id]);
        offset = e;
        i = e - 1;
      }
    }
    if (offset < text.length || out.length === 0) out.push([offset, text.length, -1]);
    return out;
  }

  /** single_word tokens only match when not glued to word characters on either side. */
  private acceptSingleWord(t: AddedTokenSpec, text: string, i: number): boolean {
    if (!t.singleWord) return true;
    const before = i > 0 ? text.codePointAt(i - 1 - (i >= 2 && /[\udc00-\udfff]/.test(text[i - 1]) ? 1 : 0)) : undefined;
    return !isWordCp(before) && !isWordCp(text.codePointAt(i + t.content.length));
  }
}
