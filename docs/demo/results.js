// Showing a run's results: a table per task (first rows only; the downloads hold everything), .tsv/.json downloads
// in the CLI's layouts (docs/cli.md), and the outlier chart (germ-js/plot's outlierChart over Observable Plot), which
// keeps one line per model so that GERM and DNABERT-2 can be compared.

import { DIST } from "./paths.js";

const MAX_ROWS = 500;
const SHOWN_DIMS = 8;
let urls = [];

const $ = (id) => document.getElementById(id);

/** 4 significant digits for the table. */
const short = (v) => (Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v));

/** The shortest decimal that reads back as the same float32 (what the CLI writes). */
function f32(v) {
  if (!Number.isFinite(v)) return String(v);
  for (let p = 1; p < 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return String(s);
  }
  return String(Number(v.toPrecision(9)));
}

const tsvCell = (s) => String(s).replace(/[\t\r\n]+/g, " ");
const norm = (e) => Math.sqrt(e.reduce((a, x) => a + x * x, 0));

function table(head, rows) {
  const el = $("results-table");
  el.replaceChildren();
  const tr = (cells, tag) => {
    const r = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement(tag);
      td.textContent = c;
      if (tag === "td" && typeof c === "number") { td.className = "num"; td.textContent = short(c); }
      if (tag === "th") td.scope = "col";
      r.append(td);
    }
    return r;
  };
  const thead = document.createElement("thead");
  thead.append(tr(head, "th"));
  const tbody = document.createElement("tbody");
  for (const row of rows.slice(0, MAX_ROWS)) tbody.append(tr(row, "td"));
  el.append(thead, tbody);
}

function downloads(base, tsv, json) {
  for (const u of urls) URL.revokeObjectURL(u);
  urls = [URL.createObjectURL(new Blob([tsv], { type: "text/tab-separated-values" })),
    URL.createObjectURL(new Blob([JSON.stringify(json, null, 1)], { type: "application/json" }))];
  Object.assign($("dl-tsv"), { href: urls[0], download: `${base}.tsv` });
  Object.assign($("dl-json"), { href: urls[1], download: `${base}.json` });
}

/** Render `r` (the worker's result for `records`) and return the raw numbers tests read (window.__germLastResult). */
export async function showResult(r, records, modelName) {
  const ids = records.map((x) => x.id);
  const n = ids.length;
  const more = n > MAX_ROWS ? ` The table shows the first ${MAX_ROWS}; the downloads hold all ${n}.` : "";
  $("chart").hidden = true;
  const bp = records.map((x) => x.sequence.length);
  if (r.task === "embed") {
    const H = r.embeddings[0].length;
    const dims = Math.min(SHOWN_DIMS, H);
    $("results-summary").textContent = `${n} embedding${n === 1 ? "" : "s"} of ${H} dimensions (mean over tokens).${more}`;
    table(["id", "bp", "tokens", "norm", ...Array.from({ length: dims }, (_, i) => `dim ${i}`)],
      r.embeddings.map((e, i) => [ids[i], bp[i], r.tokens[i], norm(e), ...e.subarray(0, dims)]));
    const tsv = ["id", ...Array.from({ length: H }, (_, i) => `emb_${i}`)].join("\t") + "\n" +
      r.embeddings.map((e, i) => `${tsvCell(ids[i])}\t${Array.from(e, f32).join("\t")}`).join("\n") + "\n";
    downloads("embeddings", tsv, ids.map((id, i) => ({ id, embedding: Array.from(r.embeddings[i]) })));
  } else if (r.task === "classify") {
    const labels = r.labels;
    $("results-summary").textContent = `${n} sequence${n === 1 ? "" : "s"} classified into ${labels.join(", ")}.${more}`;
    table(["id", "bp", "tokens", "label", ...labels.map((l) => `p(${l})`)],
      r.classes.map((c, i) => [ids[i], bp[i], r.tokens[i], c.label, ...c.probs]));
    const tsv = ["id", "label", ...labels.map((_, i) => `prob_${i}`)].join("\t") + "\n" +
      r.classes.map((c, i) => [tsvCell(ids[i]), tsvCell(c.label), ...Array.from(c.probs, f32)].join("\t")).join("\n") + "\n";
    downloads("classes", tsv, ids.map((id, i) => ({ id, label: r.classes[i].label, probs: Array.from(r.classes[i].probs),
      logits: Array.from(r.classes[i].logits) })));
  } else {
    const s = r.summary;
    $("results-summary").textContent = `Over all ${r.tokens.reduce((a, b) => a + b, 0)} tokens: ` +
      `max FFN-output ∞-norm ${short(s.maxFfnOutInfNorm)}, max LayerNorm-output ∞-norm ${short(s.maxLnOutInfNorm)}, ` +
      `average kurtosis ${short(s.avgKurtosis)}, max kurtosis ${short(s.maxKurtosis)}.${more}`;
    const peak = (m, key) => Math.max(...Object.values(m).map((v) => v[key]));
    // Per sequence: the largest per-module mean (over its tokens), i.e. its worst layer.
    table(["id", "bp", "tokens", "worst layer: mean ∞-norm", "worst layer: mean kurtosis"],
      r.sequences.map((m, i) => [ids[i], bp[i], r.tokens[i], peak(m, "infNormMean"), peak(m, "kurtosisMean")]));
    const line = (id, nt, mods) =>
      Object.entries(mods).map(([k, v]) => [tsvCell(id), nt, k, v.infNormMean, v.kurtosisMean].join("\t"));
    const total = r.tokens.reduce((a, b) => a + b, 0);
    const tsv = "id\tn_tokens\tmodule\tinf_norm_mean\tkurtosis_mean\n" +
      [...r.sequences.flatMap((m, i) => line(ids[i], r.tokens[i], m)), ...line("all", total, s.modules)].join("\n") + "\n";
    const perSequence = ids.map((id, i) => ({ id, n_tokens: r.tokens[i], modules: r.sequences[i] }));
    downloads("outliers", tsv, { summary: s, sequences: perSequence });
    await drawChart(s, modelName);
  }
  $("results").hidden = false;
  return { ...r, ids };
}

// germ-js/plot (dist/plot.js): the same chart the CLI writes as SVG. Loaded on first use.
let plotModule = null;

/** One chart line per model: the last outlier run of each model loaded in this page, for comparison. */
const series = new Map();

/** Draw the outlier chart with the run of `name` added (or replaced). */
async function drawChart(summary, name) {
  $("chart").hidden = false;
  if (!globalThis.Plot) {
    $("chart-plot").textContent = "The chart needs Observable Plot (vendor/plot.umd.min.js), which did not load.";
    return;
  }
  try {
    plotModule ??= await import(`${DIST}plot.js`);
  } catch (e) {
    $("chart-plot").textContent = `The chart needs germ-js/plot (${DIST}plot.js), which did not load (${e.message}): ` +
      "npm run build.";
    return;
  }
  series.delete(name); // re-inserted: the newest run is listed last
  series.set(name, plotModule.outlierSeries(name, summary));
  renderChart();
}

function renderChart() {
  const host = $("chart-plot");
  const width = Math.max(320, Math.min(960, host.clientWidth || 900));
  host.replaceChildren(plotModule.outlierChart([...series.values()], { Plot: globalThis.Plot, document, width }));
  $("chart-clear").hidden = series.size < 2;
}

/** Keep only the latest run's line. */
export function clearChart() {
  const last = [...series.keys()].pop();
  for (const k of [...series.keys()]) if (k !== last) series.delete(k);
  if (series.size) renderChart();
}
