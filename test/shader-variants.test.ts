// Shader variants made by scripts/embed-shaders.mjs: each derived kernel differs from its base in exactly the pinned
// lines, and the WGSL preprocessor (scripts/wgsl-preprocess.mjs) handles #include/#if/#elif/#else/#endif and its
// errors. Needs no GPU: it reads the generated sources and runs the preprocessor on inline text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SHADERS } from "../src/backend/webgpu/generated/shaders.js";

type Preprocess = (file: string, options: { read: (file: string) => string; defines?: Record<string, boolean>; declared?: Iterable<string> }) =>
  { code: string; used: Set<string> };
// Compiled tests live in build/test/, so the repo root (and scripts/, which tsc does not compile) is two levels up.
const repoRoot = resolve(fileURLToPath(new URL("../../", import.meta.url)));
const { preprocess } = (await import(pathToFileURL(join(repoRoot, "scripts", "wgsl-preprocess.mjs")).href)) as { preprocess: Preprocess };

/** Non-comment lines of a WGSL source (comment-only lines are documentation, free to differ between variants). */
const codeLines = (src: string) => src.split("\n").filter((l) => !/^\s*\/\//.test(l));

/** Line diff (LCS) of a → b as ["-" | "+", line] entries, in order; a changed line reads as "-" old then "+" new. */
function lineDiff(a: string[], b: string[]): [string, string][] {
  const n = a.length, m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) {
    lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const out: [string, string][] = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) { i++; j++; }
    else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) out.push(["-", a[i++]!]);
    else out.push(["+", b[j++]!]);
  }
  return out;
}

test("linearF16 is linear with f16 weights: enable f16, the w binding type and the widening load, nothing else", () => {
  const base = SHADERS.linear, f16 = SHADERS.linearF16;
  assert.deepEqual(lineDiff(codeLines(base.code), codeLines(f16.code)), [
    ["+", "enable f16;"],
    ["-", "@group(0) @binding(1) var<storage, read> w: array<f32>;"],
    ["+", "@group(0) @binding(1) var<storage, read> w: array<f16>;"],
    ["-", "      if (col0 + mm < n && gk < k) { b = w[(col0 + mm) * k + gk]; }"],
    ["+", "      if (col0 + mm < n && gk < k) { b = f32(w[(col0 + mm) * k + gk]); }"],
  ]);
  assert.equal(codeLines(f16.code)[0], "enable f16;", "enable f16 comes before every declaration");
  assert.doesNotMatch(base.code, /f16/, "the f32 kernel has no f16 code");
  assert.deepEqual(f16.params, base.params);
  assert.deepEqual(f16.overrides, base.overrides);
  assert.equal(base.file, "shaders/linear.wgsl");
  assert.equal(f16.file, "shaders/linear.wgsl [W_F16]");
});

test("linearQ4 is linear with q4 weights: the w binding type, a scales binding, the dequantizing load, nothing else", () => {
  const base = SHADERS.linear, q4 = SHADERS.linearQ4;
  assert.deepEqual(lineDiff(codeLines(base.code), codeLines(q4.code)), [
    ["-", "@group(0) @binding(1) var<storage, read> w: array<f32>;"],
    ["+", "@group(0) @binding(1) var<storage, read> w: array<u32>;"],
    ["-", "@group(0) @binding(4) var<uniform> params: Params;"],
    ["+", "@group(0) @binding(4) var<storage, read> wscale: array<f32>;"],
    ["+", "@group(0) @binding(5) var<uniform> params: Params;"],
    ["+", "fn q4Weight(row: u32, c: u32, k: u32) -> f32 {"],
    ["+", "  let groups = (k + 31u) / 32u;"],
    ["+", "  let q = i32(extractBits(w[row * groups * 4u + c / 8u], 4u * (c % 8u), 4u)) - 8;"],
    ["+", "  return f32(q) * wscale[row * groups + c / 32u];"],
    ["+", "}"],
    ["-", "      if (col0 + mm < n && gk < k) { b = w[(col0 + mm) * k + gk]; }"],
    ["+", "      if (col0 + mm < n && gk < k) { b = q4Weight(col0 + mm, gk, k); }"],
  ]);
  assert.doesNotMatch(codeLines(base.code).join("\n"), /wscale|q4Weight/, "the f32 kernel has no q4 code");
  assert.deepEqual(q4.params, base.params);
  assert.deepEqual(q4.overrides, base.overrides);
  assert.equal(q4.file, "shaders/linear.wgsl [W_Q4]");
});

test("linearQ4H is linearQ4 with f16 scales: enable f16, the scales binding type and the widening read, nothing else", () => {
  const base = SHADERS.linearQ4, h = SHADERS.linearQ4H;
  assert.deepEqual(lineDiff(codeLines(base.code), codeLines(h.code)), [
    ["+", "enable f16;"],
    ["-", "@group(0) @binding(4) var<storage, read> wscale: array<f32>;"],
    ["+", "@group(0) @binding(4) var<storage, read> wscale: array<f16>;"],
    ["-", "  return f32(q) * wscale[row * groups + c / 32u];"],
    ["+", "  return f32(q) * f32(wscale[row * groups + c / 32u]);"],
  ]);
  assert.equal(codeLines(h.code)[0], "enable f16;", "enable f16 comes before every declaration");
  assert.doesNotMatch(base.code, /f16/, "the f32-scale kernel has no f16 code");
  assert.deepEqual(h.params, base.params);
  assert.deepEqual(h.overrides, base.overrides);
  assert.equal(h.file, "shaders/linear.wgsl [SCALES_F16, W_Q4]");
});

test("linearQ8Dot4 is linearQ8 with dot4I8Packed on packed words instead of unpacked vec4i dot products, nothing else", () => {
  const base = SHADERS.linearQ8, dot4 = SHADERS.linearQ8Dot4;
  assert.deepEqual(lineDiff(codeLines(base.code), codeLines(dot4.code)), [
    ["-", "alias Int8x4 = vec4i;"],
    ["-", "fn int8x4(v: u32) -> Int8x4 {"],
    ["-", "  let s = bitcast<i32>(v);"],
    ["-", "  return vec4i(extractBits(s, 0u, 8u), extractBits(s, 8u, 8u), extractBits(s, 16u, 8u), extractBits(s, 24u, 8u));"],
    ["-", "}"],
    ["-", "fn dot4(a: Int8x4, b: Int8x4) -> i32 { return dot(a, b); }"],
    ["+", "alias Int8x4 = u32;"],
    ["+", "fn int8x4(v: u32) -> Int8x4 { return v; }"],
    ["+", "fn dot4(a: Int8x4, b: Int8x4) -> i32 { return dot4I8Packed(a, b); }"],
  ]);
  const code = (src: string) => codeLines(src).join("\n");
  assert.doesNotMatch(code(base.code), /dot4I8Packed|pack4x/, "the unpacking kernel needs no packed_4x8_integer_dot_product");
  assert.doesNotMatch(code(SHADERS.quantizeRows.code), /dot4I8Packed|pack4x/, "nor does the quantize pass (it packs by hand)");
  assert.deepEqual(dot4.params, base.params);
  assert.deepEqual(dot4.overrides, base.overrides);
  assert.equal(base.file, "shaders/linear-q8.wgsl");
  assert.equal(dot4.file, "shaders/linear-q8.wgsl [DOT4]");
  assert.equal(SHADERS.quantizeRows.file, "shaders/quantize-rows.wgsl");
});

test("generated kernels keep no preprocessor directive lines", () => {
  for (const [name, k] of Object.entries(SHADERS)) {
    const left = k.code.split("\n").filter((l) => /^\s*\/\/ ?#/.test(l));
    assert.deepEqual(left, [], `${name} (${k.file})`);
  }
});

// Inline sources for the preprocessor: a reader over a record of files (a missing file throws, as readFileSync does).
const reader = (files: Record<string, string[]>) => (file: string) => {
  const lines = files[file];
  if (!lines) throw new Error(`ENOENT: ${file}`);
  return lines.join("\n");
};
const run = (lines: string[], defines: Record<string, boolean> = {}, declared: string[] = ["A", "B", "C"], more: Record<string, string[]> = {}) =>
  preprocess("main.wgsl", { read: reader({ "main.wgsl": lines, ...more }), defines, declared });
const lines = (code: string) => code.split("\n");

test("preprocess: text without directives comes back byte for byte", () => {
  const src = ["// header", "override X: bool = true;", "  fn f() {}\r", "", ""];
  assert.equal(run(src).code, src.join("\n"));
});

test("preprocess: #if / #if ! / #else / #elif pick one branch, directive lines are dropped", () => {
  const ifElse = ["a", "// #if A", "on", "// #else", "off", "// #endif", "z"];
  assert.deepEqual(lines(run(ifElse, { A: true }).code), ["a", "on", "z"]);
  assert.deepEqual(lines(run(ifElse, { A: false }).code), ["a", "off", "z"]);
  assert.deepEqual(lines(run(ifElse).code), ["a", "off", "z"], "a declared define that is not set is off");

  const not = ["// #if !A", "not A", "// #endif"];
  assert.deepEqual(lines(run(not).code), ["not A"]);
  assert.deepEqual(lines(run(not, { A: true }).code), [""]);

  const chain = ["// #if A", "A", "// #elif B", "B", "// #elif !C", "!C", "// #else", "else", "// #endif"];
  assert.deepEqual(lines(run(chain, { A: true, B: true }).code), ["A"], "the first true branch wins");
  assert.deepEqual(lines(run(chain, { B: true }).code), ["B"]);
  assert.deepEqual(lines(run(chain, {}).code), ["!C"]);
  assert.deepEqual(lines(run(chain, { C: true }).code), ["else"]);
});

test("preprocess: nested blocks (indented directives too); an inactive outer block drops its inner branches", () => {
  const src = [
    "top",
    "// #if A",
    "  A",
    "  // #if B",
    "  A.B",
    "  // #else",
    "  A.!B",
    "  // #endif",
    "// #else",
    "  // #if B",
    "  !A.B",
    "  // #elif !B",
    "  !A.!B",
    "  // #endif",
    "// #endif",
    "end",
  ];
  assert.deepEqual(lines(run(src, { A: true, B: true }).code), ["top", "  A", "  A.B", "end"]);
  assert.deepEqual(lines(run(src, { A: true }).code), ["top", "  A", "  A.!B", "end"]);
  assert.deepEqual(lines(run(src, { B: true }).code), ["top", "  !A.B", "end"]);
  assert.deepEqual(lines(run(src).code), ["top", "  !A.!B", "end"]);
  assert.deepEqual([...run(src, { A: true }).used].sort(), ["A", "B"], "names in inactive branches count as used");
});

test("preprocess: #include expands once per kernel with the same defines; an inactive one is not read", () => {
  const more = { "lib/x.wgsl": ["// #if A", "x.A", "// #else", "x", "// #endif"] };
  const src = ["// #include lib/x.wgsl", "mid", "// #include lib/x.wgsl", "// #if B", "// #include lib/missing.wgsl", "// #endif"];
  assert.deepEqual(lines(run(src, { A: true }, ["A", "B"], more).code), ["x.A", "mid", ""]);
  assert.deepEqual(lines(run(src, {}, ["A", "B"], more).code), ["x", "mid", ""]);
  assert.throws(() => run(src, { B: true }, ["A", "B"], more), { name: "WgslPreprocessError", message: /^main\.wgsl:5: cannot include lib\/missing\.wgsl/ });
});

test("preprocess: unbalanced blocks, unknown directives and undeclared defines are errors naming file and line", () => {
  const fails = (src: string[], message: RegExp, more: Record<string, string[]> = {}) =>
    assert.throws(() => run(src, { A: true }, ["A"], more), { name: "WgslPreprocessError", message }, src.join(" | "));
  fails(["x", "// #if A", "y"], /^main\.wgsl:2: #if without #endif/);
  fails(["// #if A", "// #endif", "// #endif"], /^main\.wgsl:3: #endif without #if/);
  fails(["x", "// #else"], /^main\.wgsl:2: #else without #if/);
  fails(["// #elif A"], /^main\.wgsl:1: #elif without #if/);
  fails(["// #if A", "// #else", "// #else", "// #endif"], /^main\.wgsl:3: second #else/);
  fails(["// #if A", "// #else", "// #elif A", "// #endif"], /^main\.wgsl:3: #elif after #else/);
  fails(["// #ifdef A", "// #endif"], /^main\.wgsl:1: unknown directive '#ifdef'/);
  fails(["// #if A B", "// #endif"], /^main\.wgsl:1: #if needs NAME or !NAME/);
  fails(["// #if", "// #endif"], /^main\.wgsl:1: #if needs NAME or !NAME/);
  fails(["// #if A", "// #endif A"], /^main\.wgsl:2: #endif takes no argument/);
  fails(["a", "b", "// #if W_F16", "// #endif"], /^main\.wgsl:3: #if W_F16: W_F16 is not declared by any variant/);
  fails(["// #if A", "// #elif !Q", "// #endif"], /^main\.wgsl:2: #elif Q: Q is not declared/);
  fails(["// #if !A", "// #if Q", "// #endif", "// #endif"], /^main\.wgsl:2: #if Q: Q is not declared/, {}); // checked even when inactive
  fails(["x", "// #include lib/y.wgsl"], /^lib\/y\.wgsl:2: #if without #endif/, { "lib/y.wgsl": ["y", "// #if A"] });
  assert.throws(() => run(["x"], { A: 1 as unknown as boolean }), TypeError, "defines are booleans");
  assert.deepEqual(lines(preprocess("m.wgsl", { read: () => "// #if A\nA\n// #endif", defines: { A: true } }).code), ["A"],
    "declared defaults to the names in defines");
});
