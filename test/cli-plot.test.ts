// The outlier chart: outlierSeries from reports, outlierChart/outlierChartSvg drawn with the real Observable Plot under
// linkedom and parsed back (panels, lines, dots, ticks, legend, plotted y values), and `germ outliers` with several
// models and --plot: through the compiled CLI on two fixtures against GermModel.outliers(), and with fakes for
// usage rules, dtype pairing, names, bad paths and the lazy import of Plot.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as Plot from "@observablehq/plot";
import { DOMParser, parseHTML } from "linkedom";
import { outlierChart, outlierChartSvg, outlierSeries, formatNumber, type OutlierSeries } from "../src/plot/index.js";
import { modelSpecs } from "../src/cli/args.js";
import { runCli, type CliModel, type LoadOptions } from "../src/cli/commands.js";
import { InputError } from "../src/errors.js";
import type { OutlierSummary } from "../src/pipeline/outliers.js";
import { fixturesDir, NO_FIXTURES } from "./helpers/fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "germ-plot-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const root = resolve(fileURLToPath(new URL("../../", import.meta.url)));
const fixtures = fixturesDir();
const newDocument = () => parseHTML("<!doctype html><html><body></body></html>").document;

/** A summary as GermModel.outliers() makes it, with values that say where they come from. */
function summaryOf(layers: number, f: (layer: number, site: string) => [number, number]): OutlierSummary {
  const modules: OutlierSummary["modules"] = {};
  for (let j = layers - 1; j >= 0; j--) { // reverse order: outlierSeries must sort
    for (const site of ["layernorm", "wo"]) {
      const [infNormMean, kurtosisMean] = f(j, site);
      modules[`bert.encoder.layer.${j}.mlp.${site}`] = { infNormMean, kurtosisMean };
    }
  }
  const all = Object.values(modules);
  return { modules, maxFfnOutInfNorm: 0, maxLnOutInfNorm: 0, avgKurtosis: 0, maxKurtosis: Math.max(...all.map((m) => m.kurtosisMean)) };
}

interface Panel { lines: number; dots: { title: string; y: number; value: number }[]; xTicks: string[]; facets: string[] }

/** Parse the SVG text back (as XML) into its panels; each dot's value is read off the y axis (ticks → linear map). */
function readChart(svg: string): { legend: string[]; panels: Record<"kurtosis" | "inf-norm", Panel> } {
  assert.match(svg, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg[^>]* xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
  const el = doc.documentElement;
  assert.equal(el.tagName.toLowerCase(), "svg");
  const legend = [...el.querySelectorAll('g[aria-label="legend"] text')].map((t) => t.textContent ?? "");
  const panel = (label: string): Panel => {
    const g = el.querySelector(`g[aria-label="${label} panel"]`);
    assert.ok(g, `no ${label} panel`);
    const ticks = [...g.querySelectorAll('g[aria-label="y-axis tick label"] text')].map((t) => ({
      v: Number(t.textContent!.replace(/,/g, "").replace("−", "-")), y: translateY(t.getAttribute("transform")!),
    }));
    assert.ok(ticks.length >= 2, `${label}: y ticks`);
    const [a, b] = [ticks[0]!, ticks.at(-1)!];
    const dots = [...g.querySelectorAll('g[aria-label="dot"] circle, g[aria-label="dot"] path')].map((d) => {
      const y = d.tagName.toLowerCase() === "circle" ? Number(d.getAttribute("cy")) : translateY(d.getAttribute("transform")!);
      return { title: d.querySelector("title")?.textContent ?? "", y, value: a.v + ((y - a.y) * (b.v - a.v)) / (b.y - a.y) };
    });
    return {
      lines: g.querySelectorAll('g[aria-label="line"] path').length, dots,
      xTicks: [...g.querySelectorAll('g[aria-label="x-axis tick label"] text')].map((t) => t.textContent ?? ""),
      facets: [...g.querySelectorAll('g[aria-label="fx-axis tick label"] text')].map((t) => t.textContent ?? ""),
    };
  };
  return { legend, panels: { kurtosis: panel("kurtosis"), "inf-norm": panel("inf-norm") } };
}

const translateY = (t: string) => Number(/translate\(\s*[-\d.e]+\s*[ ,]\s*([-\d.e]+)\s*\)/.exec(t)![1]);

/** Each dot's title names model, layer and site; its value must be the summary's, drawn where the y axis says. */
function checkDots(p: Panel, metric: "kurtosis" | "inf-norm", summaries: Record<string, OutlierSummary>) {
  for (const d of p.dots) {
    const m = /^(.+)\nlayer (\d+) · mlp\.(wo|layernorm) output\nkurtosis (\S+) · ∞-norm (\S+)$/.exec(d.title);
    assert.ok(m, `dot title '${d.title}'`);
    const want = summaries[m[1]!]!.modules[`bert.encoder.layer.${m[2]}.mlp.${m[3]}`]!;
    const value = metric === "kurtosis" ? want.kurtosisMean : want.infNormMean;
    assert.ok(Math.abs(Number(metric === "kurtosis" ? m[4] : m[5]) - value) <= 1e-4 * Math.abs(value), `${d.title}: title vs ${value}`);
    // Plot does not round positions: read back through the axis, the dot is at the value to float precision.
    assert.ok(Math.abs(d.value - value) <= 1e-6 * Math.max(1, Math.abs(value)), `${d.title}: drawn at ${d.value}, expected ${value}`);
  }
}

test("outlierSeries: one point per module, sorted by layer then site; OutlierReport or OutlierSummary; bad modules refused", () => {
  const summary = summaryOf(3, (j, site) => [j + (site === "wo" ? 0.5 : 0.25), 10 * j + (site === "wo" ? 1 : 2)]);
  const s = outlierSeries("m", summary);
  assert.equal(s.name, "m");
  assert.deepEqual(s.layers.map((p) => [p.layer, p.site, p.infNorm, p.kurtosis]), [
    [0, "wo", 0.5, 1], [0, "layernorm", 0.25, 2], [1, "wo", 1.5, 11], [1, "layernorm", 1.25, 12], [2, "wo", 2.5, 21], [2, "layernorm", 2.25, 22],
  ]);
  assert.deepEqual(outlierSeries("m", { sequences: [], summary }), s);
  const bad = { ...summary, modules: { ...summary.modules, "bert.encoder.layer.0.attention": { infNormMean: 1, kurtosisMean: 1 } } };
  assert.throws(() => outlierSeries("m", bad), (e: Error) => e instanceof InputError && /attention' is not/.test(e.message));
  assert.throws(() => outlierSeries("m", {} as OutlierSummary), InputError);
});

test("outlierChart: panels, a line per model and site, a dot per layer, ticks, legend, values on the y scale", () => {
  const L = 12;
  const summaries: Record<string, OutlierSummary> = {
    "DNABERT-2": summaryOf(L, (j, site) => [1 + j * j * (site === "wo" ? 1 : 0.5), 3 + j * j * 10]),
    GERM: summaryOf(L, (j, site) => [1 + j * (site === "wo" ? 0.2 : 0.1), 3 + j]),
    "GERM q8": summaryOf(L, (j) => [1.5 + j * 0.25, 3.5 + j]),
  };
  const series = Object.entries(summaries).map(([n, s]) => outlierSeries(n, s));
  const { legend, panels } = readChart(outlierChartSvg(series, { Plot, document: newDocument() }));
  for (const [metric, p] of Object.entries(panels) as ["kurtosis" | "inf-norm", Panel][]) {
    assert.equal(p.lines, 3 * 2, `${metric}: a line per model per site`);
    assert.equal(p.dots.length, 3 * 2 * L, `${metric}: a dot per model, site and layer`);
    assert.deepEqual(p.xTicks, [...Array(L).keys(), ...Array(L).keys()].map(String), `${metric}: layer ticks in both facets`);
    assert.deepEqual(p.facets, ["mlp.wo output", "mlp.layernorm output"]);
    checkDots(p, metric, summaries);
  }
  for (const name of Object.keys(summaries)) assert.ok(legend.includes(name), `legend names ${name}: ${legend}`);
  assert.ok(legend.includes(`max kurtosis ${formatNumber(3 + 11 * 11 * 10, 4)} · max ∞-norm ${formatNumber(1 + 121, 4)} (mlp.wo), ${formatNumber(1 + 60.5, 4)} (mlp.layernorm)`), String(legend));
  assert.ok(legend.includes("kurtosis of a Gaussian (3)"));

  // Points without a site: one facet, a line per model.
  const flat: OutlierSeries[] = [{ name: "a", layers: [0, 1, 2].map((layer) => ({ layer, kurtosis: 3 + layer, infNorm: 2 * layer + 1 })) }];
  const one = readChart(outlierChartSvg(flat, { Plot, document: newDocument() })).panels.kurtosis;
  assert.equal(one.lines, 1);
  assert.deepEqual(one.xTicks, ["0", "1", "2"]);
  assert.deepEqual(one.facets, []);
  // An element for a page: <svg> with a <title> per dot.
  const el = outlierChart(flat, { Plot, document: newDocument() });
  assert.equal(el.tagName.toLowerCase(), "svg");
  assert.equal(el.querySelectorAll("title").length, 2 * 3);
});

test("outlierChart: refuses what it cannot draw", () => {
  const doc = newDocument();
  const s = (name: string, site?: "wo"): OutlierSeries => ({ name, layers: [{ layer: 0, kurtosis: 3, infNorm: 1, site }] });
  const cases: [OutlierSeries[], object, RegExp][] = [
    [[], {}, /at least one series/],
    [[s("a"), s("a")], {}, /two series are named 'a'/],
    [[s("")], {}, /non-empty name/],
    [[{ name: "a", layers: [] }], {}, /'a' has no layers/],
    [[{ name: "a", layers: [{ layer: -1, kurtosis: 3, infNorm: 1 }] }], {}, /layer -1 is not an index/],
    [[s("a"), s("b", "wo")], {}, /every point has a site .* or none/],
    [[s("a")], { Plot: {} }, /options\.Plot must be Observable Plot/],
    [[s("a")], { document: {} }, /options\.document must be a DOM document/],
  ];
  for (const [series, opts, re] of cases) {
    assert.throws(() => outlierChart(series, { Plot, document: doc, ...opts }), (e: Error) => e instanceof InputError && re.test(e.message), String(re));
  }
  // Non-finite values are gaps, not an axis stretched to Infinity.
  const gap = readChart(outlierChartSvg([{ name: "a", layers: [0, 1, 2].map((layer) => ({ layer, kurtosis: layer === 1 ? Infinity : 3 + layer, infNorm: 1 })) }],
    { Plot, document: doc })).panels.kurtosis;
  assert.equal(gap.dots.length, 2);
  assert.ok(gap.dots.every((d) => Number.isFinite(d.value)));
});

test("modelSpecs: --dtype for all or per --model; names from the path's last part (+ dtype), made unique", () => {
  assert.deepEqual(modelSpecs(["a/tiny-softmax", "b/tiny-softmax1/"], []).map((m) => [m.name, m.dtype]), [["tiny-softmax", undefined], ["tiny-softmax1", undefined]]);
  assert.deepEqual(modelSpecs(["./germ", "./germ"], ["f32", "q8"]).map((m) => [m.name, m.dtype]), [["germ", "f32"], ["germ q8", "q8"]]);
  assert.deepEqual(modelSpecs(["x/germ", "y/germ", "magicslabnu/GERM"], ["q4"]).map((m) => m.name), ["x/germ q4", "y/germ q4", "GERM q4"]);
  assert.deepEqual(modelSpecs(["d/germ", "d/germ"], []).map((m) => m.name), ["germ #1", "germ #2"]);
  assert.deepEqual(modelSpecs(["d/germ", "d/germ", "e/germ"], ["q8"], ["vanilla", "softmax1", "softmax1"]).map((m) => [m.name, m.dtype, m.attnSoftmax]),
    [["germ q8 vanilla", "q8", "vanilla"], ["d/germ q8 softmax1", "q8", "softmax1"], ["e/germ q8 softmax1", "q8", "softmax1"]]);
});

/** A fake model for runCli: per-token statistics that depend on the model's directory and the layer. */
function fakeLoader(loads: { dir: string; dtype?: string; attnSoftmax?: string }[], opts: { failOutliers?: boolean } = {}) {
  return async (dir: string, o: LoadOptions): Promise<CliModel> => {
    loads.push({ dir, dtype: o.dtype, ...(o.attnSoftmax ? { attnSoftmax: o.attnSoftmax } : {}) });
    const scale = loads.length;
    const stats = (n: number, v: number) => ({ infNorm: new Float32Array(n).fill(v), kurtosis: new Float32Array(n).fill(v + 3) });
    return {
      tokenizer: { encode: (t: string) => ({ ids: [...t].map((c) => c.charCodeAt(0)), tokens: [...t] }) },
      async outliers(texts: string[]) {
        if (opts.failOutliers) throw new InputError("fake: outliers failed");
        return { sequences: texts.map((t: string) => ({ layers: [0, 1, 2].map((j) => ({ wo: stats(t.length, scale * (j + 1)), layernorm: stats(t.length, scale + j) })) })), summary: undefined! };
      },
      config: { numHiddenLayers: 3 },
      dispose() {},
    } as unknown as CliModel;
  };
}

async function runFake(argv: string[], opts: { failOutliers?: boolean } = {}) {
  const out: string[] = [], err: string[] = [];
  const loads: { dir: string; dtype?: string; attnSoftmax?: string }[] = [];
  const { Writable } = await import("node:stream");
  const stdout = new Writable({ write(c, _e, cb) { out.push(String(c)); cb(); } });
  const code = await runCli(argv, { stdout, stderr: { write: (s: string) => err.push(s), isTTY: false }, stdin: async function* () {}, version: "0" },
    fakeLoader(loads, opts));
  return { code, out: out.join(""), err: err.join(""), loads };
}

test("germ outliers (fake models): several --model, --dtype pairing, summary lines, --plot rules and file errors", async () => {
  const fa = join(tmp, "in.fa");
  writeFileSync(fa, ">a\nACGT\n>b\nGG\n");
  const chart = join(tmp, "fake.svg");
  let r = await runFake(["outliers", fa, "--model", "m/germ", "--model", "m/germ", "--dtype", "f32", "--dtype", "q8", "--plot", chart, "-f", "tsv"]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.loads, [{ dir: "m/germ", dtype: "f32" }, { dir: "m/germ", dtype: "q8" }]);
  const lines = r.out.trimEnd().split("\n");
  assert.equal(lines[0], "model\tid\tn_tokens\tmodule\tinf_norm_mean\tkurtosis_mean");
  assert.equal(lines.length, 1 + 2 * 3 * 2, "only the ALL lines: 2 models × 3 layers × 2 sites");
  assert.equal(lines[1], "germ\tALL\t6\tbert.encoder.layer.0.mlp.wo\t1\t4");
  assert.equal(lines[7], "germ q8\tALL\t6\tbert.encoder.layer.0.mlp.wo\t2\t5");
  assert.match(r.err, /wrote the outlier chart of 'germ', 'germ q8' to .*fake\.svg/);
  const { legend, panels } = readChart(readFileSync(chart, "utf8"));
  assert.ok(legend.includes("germ") && legend.includes("germ q8"));
  assert.equal(panels.kurtosis.dots.length, 2 * 2 * 3);

  // One model: the usual lines per sequence and ALL, and the chart as well.
  r = await runFake(["outliers", fa, "--model", "m/germ", "--plot", chart]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.out.trimEnd().split("\n").map((l) => JSON.parse(l).id), ["a", "b", "ALL"]);
  assert.equal(readChart(readFileSync(chart, "utf8")).panels["inf-norm"].lines, 2);
  // --attn-softmax per model (DNABERT-2 vanilla vs GERM softmax1), --dtype for all.
  r = await runFake(["outliers", fa, "-m", "hub/DNABERT-2", "-m", "hub/GERM", "--attn-softmax", "vanilla", "--attn-softmax", "softmax1", "--dtype", "q8"]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.loads, [{ dir: "hub/DNABERT-2", dtype: "q8", attnSoftmax: "vanilla" }, { dir: "hub/GERM", dtype: "q8", attnSoftmax: "softmax1" }]);
  assert.deepEqual(r.out.trimEnd().split("\n").map((l) => JSON.parse(l).model), ["DNABERT-2 q8", "GERM q8"]);

  for (const [argv, re] of [
    [["outliers", fa, "-m", "a", "--plot", join(tmp, "x.png")], /--plot writes an SVG chart, so its file name must end in \.svg; got '.*x\.png'/],
    [["outliers", fa, "-m", "a", "--plot", ".svg"], /must end in \.svg/],
    [["embed", fa, "-m", "a", "--plot", chart], /embed: --plot applies to outliers only/],
    [["embed", fa, "-m", "a", "-m", "b"], /embed: --model given 2 times; several models only for outliers/],
    [["outliers", fa, "-m", "a", "-m", "b", "--dtype", "q8", "--dtype", "q4", "--dtype", "f32"], /--dtype given 3 times for 2 --model/],
    [["outliers", fa, "-m", "a", "-m", "b", "-m", "c", "--attn-softmax", "vanilla", "--attn-softmax", "softmax1"], /--attn-softmax given 2 times for 3 --model/],
    [["embed", fa, "-m", "a", "--dtype", "q8", "--dtype", "q4"], /embed: --dtype given 2 times; it takes one value/],
    [["outliers", fa, "-m", "a", "--plot", chart, "-o", chart], /--plot and --out name the same file/],
  ] as [string[], RegExp][]) {
    const u = await runFake(argv);
    assert.equal(u.code, 2, argv.join(" "));
    assert.match(u.err, re);
    assert.deepEqual(u.loads, []);
  }
  // An unwritable path fails before any model loads, naming the flag.
  r = await runFake(["outliers", fa, "-m", "a", "-m", "b", "--plot", join(tmp, "no-dir", "x.svg")]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^germ: --plot: cannot write '.*no-dir\/x\.svg': no such directory\n$/);
  assert.deepEqual(r.loads, []);
  mkdirSync(join(tmp, "dir.svg"));
  r = await runFake(["outliers", fa, "-m", "a", "--plot", join(tmp, "dir.svg")]);
  assert.equal(r.code, 1);
  assert.match(r.err, /--plot: cannot write '.*dir\.svg': is a directory/);
  // A failed run removes the chart file it created and leaves an earlier one as it was.
  const fresh = join(tmp, "fresh.svg"), old = join(tmp, "old.svg");
  writeFileSync(old, "earlier chart");
  for (const file of [fresh, old]) {
    r = await runFake(["outliers", fa, "-m", "a", "-m", "b", "--plot", file], { failOutliers: true });
    assert.equal(r.code, 1);
    assert.match(r.err, /fake: outliers failed/);
  }
  assert.equal(existsSync(fresh), false);
  assert.equal(readFileSync(old, "utf8"), "earlier chart");
});

/** Run the compiled CLI; with `logModules`, every module URL it loads is appended to that file (a resolve hook). */
function runBuiltCli(args: string[], logModules?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const pre: string[] = [];
  if (logModules) {
    const hooks = join(tmp, "hooks.mjs"), register = join(tmp, "register.mjs");
    writeFileSync(hooks, `import { appendFileSync } from "node:fs";\nexport async function resolve(s, c, next) {\n`
      + `  const r = await next(s, c); appendFileSync(process.env.GERM_MODULE_LOG, r.url + "\\n"); return r;\n}\n`);
    writeFileSync(register, `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    pre.push("--import", pathToFileURL(register).href);
  }
  return new Promise((res) => {
    execFile(process.execPath, [...pre, join(root, "build/src/cli/main.js"), ...args], { maxBuffer: 1 << 26, env: { ...process.env, GERM_MODULE_LOG: logModules ?? "" } },
      (err, stdout, stderr) => res({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
  });
}

const haveModel = existsSync(join(root, "build/src/pipeline/germ-model.js"));

test("germ outliers --model tiny-softmax --model tiny-softmax1 --plot: the chart draws what GermModel.outliers() reports", {
  skip: !fixtures ? NO_FIXTURES : !haveModel ? "skipped: build/src/pipeline/germ-model.js not built yet" : false,
}, async () => {
  const names = ["tiny-softmax", "tiny-softmax1"];
  const golden = JSON.parse(readFileSync(join(fixtures!, "tiny-softmax1", "golden.json"), "utf8"));
  const seqs = (golden.sequences as { name: string; text: string }[]).filter((s) => /^[ACGTN]+$/i.test(s.text) && s.text.length <= 500); // FASTA keeps these as they are
  const fasta = join(tmp, "golden.fa"), svgPath = join(tmp, "x.svg"), modules = join(tmp, "modules.log");
  writeFileSync(fasta, seqs.map((s) => `>${s.name}\n${s.text}\n`).join(""));
  const dirs = names.map((n) => join(fixtures!, n));
  const r = await runBuiltCli(["outliers", fasta, ...dirs.flatMap((d) => ["--model", d]), "--device", "reference", "--plot", svgPath], modules);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(readFileSync(modules, "utf8").includes("/@observablehq/plot/"), "Plot loaded for --plot");

  // The same sequences through GermModel directly: the report the chart and the summary lines must show.
  const { GermModel } = await import("../src/pipeline/germ-model.js");
  const summaries: Record<string, OutlierSummary> = {};
  for (const [i, dir] of dirs.entries()) {
    const model = await GermModel.fromPretrained(dir, { device: "reference" });
    try { summaries[names[i]!] = (await model.outliers(seqs.map((s) => s.text.toUpperCase()))).summary; } finally { model.dispose(); }
  }
  const rows = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((x) => [x.model, x.id]), names.map((n) => [n, "ALL"]));
  for (const row of rows) {
    const want = summaries[row.model]!;
    assert.ok(Math.abs(row.maxKurtosis - want.maxKurtosis) <= 1e-9 * want.maxKurtosis, `${row.model} maxKurtosis ${row.maxKurtosis} vs ${want.maxKurtosis}`);
    assert.ok(Math.abs(row.maxLnOutInfNorm - want.maxLnOutInfNorm) <= 1e-9 * want.maxLnOutInfNorm);
  }

  const layers = JSON.parse(readFileSync(join(dirs[0]!, "config.json"), "utf8")).num_hidden_layers as number;
  const { legend, panels } = readChart(readFileSync(svgPath, "utf8"));
  for (const [metric, p] of Object.entries(panels) as ["kurtosis" | "inf-norm", Panel][]) {
    assert.equal(p.lines, names.length * 2, `${metric}: a line per model per site`);
    assert.equal(p.dots.length, names.length * 2 * layers, `${metric}: a dot per model, site and layer`);
    assert.deepEqual(p.xTicks, [...Array(layers).keys(), ...Array(layers).keys()].map(String), `${metric}: one x tick per layer, per site`);
    checkDots(p, metric, summaries);
  }
  for (const n of names) {
    assert.ok(legend.includes(n), `legend: ${legend}`);
    const s = summaries[n]!;
    const stats = `max kurtosis ${formatNumber(s.maxKurtosis, 4)} · max ∞-norm ${formatNumber(s.maxFfnOutInfNorm, 4)} (mlp.wo), ${formatNumber(s.maxLnOutInfNorm, 4)} (mlp.layernorm)`;
    assert.ok(legend.includes(stats), `legend has '${stats}': ${legend}`);
  }
  assert.ok(legend.some((t) => t.startsWith(`${seqs.length} sequences`)), "subtitle counts the sequences");

  // Without --plot, neither Plot nor linkedom is loaded.
  writeFileSync(modules, "");
  const plain = await runBuiltCli(["outliers", fasta, "--model", dirs[0]!, "--device", "reference"], modules);
  assert.equal(plain.code, 0, plain.stderr);
  const loaded = readFileSync(modules, "utf8");
  assert.ok(loaded.includes("/build/src/cli/commands.js") && !/@observablehq|linkedom/.test(loaded), "no Plot without --plot");
});
