// The per-layer outlier chart (mean kurtosis and mean ∞-norm, one colored line per model) drawn with Observable Plot.
// Isomorphic and bundler-free: Plot and a DOM `document` are passed in (window.Plot and the page's document in a
// browser; `await import("@observablehq/plot")` and linkedom's document in Node), so this module imports neither.
import { InputError } from "../errors.js";
import { OUTLIER_SITES, type OutlierPoint, type OutlierSeries, type OutlierSite } from "./series.js";

/** The part of Observable Plot the chart calls: the `@observablehq/plot` module, or `window.Plot` (UMD build). */
export interface PlotLib {
  /** Plot.plot: renders the marks into an SVG element. */
  plot(options: object): Element;
  /** Plot.lineY: the per-model lines. */
  lineY(data: readonly object[], options: object): unknown;
  /** Plot.dot: the per-layer points. */
  dot(data: readonly object[], options: object): unknown;
  /** Plot.text: labels. */
  text(data: readonly object[], options: object): unknown;
  /** Plot.link: legend swatches. */
  link(data: readonly object[], options: object): unknown;
  /** Plot.ruleY: the dashed Gaussian-kurtosis reference line. */
  ruleY(data: readonly number[], options: object): unknown;
}

/** Options of {@link outlierChart} and {@link outlierChartSvg}. */
export interface OutlierChartOptions {
  /** Observable Plot: the `@observablehq/plot` module, or `window.Plot` in a page. */
  Plot: PlotLib;
  /** Where elements are created: the page's `document`, or linkedom's in Node. */
  document: Document;
  /** Pixels; default 900. */
  width?: number;
  /** Height of each of the two panels (kurtosis, ∞-norm), pixels; default 220. */
  panelHeight?: number;
  /** The chart's title; default "Activation outliers per layer". */
  title?: string;
  /** The line under the title; default: what is plotted. */
  subtitle?: string;
}

const SVG_NS = "http://www.w3.org/2000/svg";
const SITE_LABEL: Record<OutlierSite, string> = { wo: "mlp.wo output", layernorm: "mlp.layernorm output" };
const METRICS = [
  { key: "kurtosis", label: "mean kurtosis", aria: "kurtosis panel" },
  { key: "infNorm", label: "mean ∞-norm", aria: "inf-norm panel" },
] as const;
/** validate_sc.py's kurtosis is m4 / var²: 3 for a Gaussian, the dashed reference line. */
const GAUSSIAN_KURTOSIS = 3;
const MARGIN = { left: 64, right: 24 };
const FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";
const LEGEND_ROW = 20;
/** One marker shape per series (cycled), so series that coincide stay apart in grey print and for color-blind eyes. */
const SYMBOLS = ["circle", "square", "triangle", "diamond", "star", "wye", "cross"];

interface Row extends OutlierPoint { name: string }

/**
 * The chart as one `<svg>` element: a header (title, legend with each model's maxima), then a kurtosis panel and an
 * ∞-norm panel, layer on x, one line + dots per model, a facet per site (mlp.wo / mlp.layernorm output) when the
 * series carry sites. Each dot has a `<title>` (tooltip) with its model, layer, site and values.
 * @example
 * // browser, with plot.umd.min.js (and d3) loaded as window.Plot:
 * const Plot = (window as unknown as { Plot: PlotLib }).Plot;
 * document.body.append(outlierChart([outlierSeries("GERM", await model.outliers(seqs))], { Plot, document }));
 */
export function outlierChart(series: readonly OutlierSeries[], opts: OutlierChartOptions): SVGSVGElement {
  const { Plot, document } = opts;
  if (typeof Plot?.plot !== "function" || typeof Plot.lineY !== "function") {
    throw new InputError("outlierChart: options.Plot must be Observable Plot (the module or window.Plot)");
  }
  if (typeof document?.createElementNS !== "function") throw new InputError("outlierChart: options.document must be a DOM document");
  const rows = checkSeries(series);
  const width = opts.width ?? 900, panelHeight = opts.panelHeight ?? 220;
  if (!(width >= 300 && panelHeight >= 120)) {
    throw new InputError(`outlierChart: width ${width} / panelHeight ${panelHeight} too small (≥ 300 / ≥ 120)`);
  }
  const names = series.map((s) => s.name);
  const sites = OUTLIER_SITES.filter((site) => rows.some((r) => r.site === site));
  const layers = [...new Set(rows.map((r) => r.layer))].sort((a, b) => a - b);
  const color = { type: "categorical", domain: names, scheme: "observable10" };
  const facets = Math.max(1, sites.length);
  const fx = facets > 1 ? { fx: "site" } : {};
  // Series side by side around each layer's tick (a few pixels apart): models with near-equal values (softmax vs
  // softmax_1 on the same weights, f32 vs q8) would otherwise hide each other.
  const spread = Math.min(4, 16 / names.length);
  const dodge = (k: number) => (k - (names.length - 1) / 2) * spread;
  const facetWidth = (width - MARGIN.left - MARGIN.right) / facets;
  const r = Math.max(2, Math.min(4, facetWidth / layers.length / 3)); // 40 layers in a facet: smaller dots
  const subtitle = opts.subtitle ?? `Means over every real token of the per-token kurtosis and ∞-norm of each layer's ${
    sites.length > 1 ? "mlp.wo and mlp.layernorm outputs" : "MLP output"} (the GERM paper's outlier measures)`;
  const header = legend(Plot, document, width, opts.title ?? "Activation outliers per layer", subtitle, series, sites, color);
  const panels = METRICS.map((m) => {
    const el = Plot.plot({
      document, width, height: panelHeight, ariaLabel: m.aria, style: { fontSize: "11px" },
      marginLeft: MARGIN.left, marginRight: MARGIN.right, marginTop: facets > 1 ? 30 : 22, marginBottom: 40,
      x: { type: "point", domain: layers, ticks: thin(layers, facetWidth), label: "encoder layer" },
      y: { label: m.label, grid: true, nice: true, zero: true }, // both measures are ≥ 0
      ...(facets > 1 ? { fx: { domain: sites, label: null, tickFormat: (s: OutlierSite) => SITE_LABEL[s], padding: 0.12 } } : {}),
      color,
      marks: [
        m.key === "kurtosis" ? Plot.ruleY([GAUSSIAN_KURTOSIS], { stroke: "#9aa0a6", strokeDasharray: "4,3" }) : null,
        ...names.flatMap((name, k) => {
          const mine = rows.filter((r) => r.name === name);
          return [
            Plot.lineY(mine, { x: "layer", y: m.key, stroke: "name", strokeWidth: 2, dx: dodge(k), ...fx }),
            Plot.dot(mine, {
              x: "layer", y: m.key, fill: "name", stroke: "white", strokeWidth: 0.75, r, symbol: SYMBOLS[k % SYMBOLS.length],
              dx: dodge(k), ...fx,
              title: (r: Row) => `${r.name}\nlayer ${r.layer}${r.site ? ` · ${SITE_LABEL[r.site]}` : ""}\n`
                + `kurtosis ${formatNumber(r.kurtosis, 5)} · ∞-norm ${formatNumber(r.infNorm, 5)}`,
            }),
          ];
        }),
      ],
    });
    return { el, height: panelHeight };
  });
  return compose(document, [header, ...panels], width, opts.title ?? "Activation outliers per layer");
}

/**
 * The chart serialized as a standalone SVG file (XML declaration, `xmlns`), for writing to disk or a download link.
 * @example
 * // Node:
 * import { writeFileSync } from "node:fs";
 * const Plot = await import("@observablehq/plot");
 * const { document } = (await import("linkedom")).parseHTML("<!doctype html><html><body></body></html>");
 * const series = [outlierSeries("GERM", await model.outliers(seqs))];
 * writeFileSync("outliers.svg", outlierChartSvg(series, { Plot, document }));
 */
export function outlierChartSvg(series: readonly OutlierSeries[], opts: OutlierChartOptions): string {
  const svg = outlierChart(series, opts);
  // A browser's outerHTML writes HTML (e.g. &nbsp;, not XML); XMLSerializer writes XML. linkedom has no
  // XMLSerializer, and its outerHTML of SVG is XML already (self-closed empty elements, escaped text).
  const view = opts.document.defaultView as { XMLSerializer?: typeof XMLSerializer } | null;
  const Serializer = view?.XMLSerializer ?? (globalThis as { XMLSerializer?: typeof XMLSerializer }).XMLSerializer;
  const text = Serializer ? new Serializer().serializeToString(svg) : svg.outerHTML;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${text}\n`;
}

/** Validate the series and flatten them into one row per point; non-finite values become gaps. */
function checkSeries(series: readonly OutlierSeries[]): Row[] {
  if (!Array.isArray(series) || series.length === 0) throw new InputError("outlierChart: expected at least one series");
  const seen = new Set<string>();
  const rows: Row[] = [];
  series.forEach((s, i) => {
    if (typeof s?.name !== "string" || s.name === "") throw new InputError(`outlierChart: series ${i} needs a non-empty name`);
    if (seen.has(s.name)) {
      throw new InputError(`outlierChart: two series are named '${s.name}'; names must be unique (they are the legend)`);
    }
    seen.add(s.name);
    if (!Array.isArray(s.layers) || s.layers.length === 0) throw new InputError(`outlierChart: series '${s.name}' has no layers`);
    for (const p of s.layers) {
      const where = `outlierChart: series '${s.name}'`;
      if (!Number.isInteger(p?.layer) || p.layer < 0) throw new InputError(`${where}: layer ${p?.layer} is not an index ≥ 0`);
      if (p.site !== undefined && !OUTLIER_SITES.includes(p.site)) throw new InputError(`${where}: site '${p.site}' is not wo or layernorm`);
      // Plot skips NaN (a gap in the line) but would stretch the axis to ±Infinity.
      const finite = (x: number) => (Number.isFinite(x) ? x : NaN);
      rows.push({ name: s.name, layer: p.layer, site: p.site, kurtosis: finite(p.kurtosis), infNorm: finite(p.infNorm) });
    }
  });
  if (rows.some((r) => r.site === undefined) && rows.some((r) => r.site !== undefined)) {
    throw new InputError("outlierChart: either every point has a site (wo / layernorm) or none has");
  }
  return rows;
}

/** Every layer as a tick while they fit (~26 px each), else every k-th. */
function thin(layers: number[], facetWidth: number): number[] {
  const step = Math.ceil(layers.length / Math.max(2, Math.floor(facetWidth / 26)));
  return layers.filter((_, i) => i % step === 0);
}

/** The header: title, subtitle, then one legend row per model (swatch, name, its maxima) and the dashed line's. */
function legend(Plot: PlotLib, document: Document, width: number, title: string, subtitle: string,
  series: readonly OutlierSeries[], sites: readonly OutlierSite[], color: object): { el: Element; height: number } {
  // Text widths are estimated (no layout engine in Node): per character, a little wider than system-ui's average.
  const em = 12, lines = wrap(subtitle, (width - MARGIN.left - MARGIN.right) / (0.56 * em));
  const top = 42 + lines.length * 16 + 8;
  const items = series.map((s, i) => ({
    name: s.name, y: top + i * LEGEND_ROW, stats: maxima(s, sites), symbol: SYMBOLS[i % SYMBOLS.length],
  }));
  const ruleY = top + series.length * LEGEND_ROW;
  const height = ruleY + LEGEND_ROW - 4;
  const nameWidth = Math.max(...series.map((s) => s.name.length)) * em * 0.7; // bold
  const x0 = MARGIN.left, statsX = x0 + 34 + nameWidth + 14;
  const at = (x: number) => () => x;
  const el = Plot.plot({
    document, width, height, margin: 0, ariaLabel: "legend", style: { fontSize: `${em}px` },
    x: { type: "identity", axis: null }, y: { type: "identity", axis: null }, color,
    marks: [
      Plot.text([{ t: title }], { x: at(x0), y: at(22), text: "t", textAnchor: "start", fontSize: 16, fontWeight: 600 }),
      Plot.text(lines.map((t, i) => ({ t, y: 42 + 16 * i })), { x: at(x0), y: "y", text: "t", textAnchor: "start", fill: "#555" }),
      Plot.link(items, { x1: at(x0), x2: at(x0 + 24), y1: "y", y2: "y", stroke: "name", strokeWidth: 2 }),
      ...items.map((it) => Plot.dot([it], {
        x: at(x0 + 12), y: "y", fill: "name", stroke: "white", strokeWidth: 0.75, r: 4, symbol: it.symbol,
      })),
      Plot.text(items, { x: at(x0 + 34), y: "y", text: "name", textAnchor: "start", fontWeight: 600 }),
      Plot.text(items, { x: at(statsX), y: "y", text: "stats", textAnchor: "start", fill: "#444" }),
      Plot.link([{ y: ruleY }], { x1: at(x0), x2: at(x0 + 24), y1: "y", y2: "y", stroke: "#9aa0a6", strokeDasharray: "4,3" }),
      Plot.text([{ y: ruleY, t: `kurtosis of a Gaussian (${GAUSSIAN_KURTOSIS})` }], {
        x: at(x0 + 34), y: "y", text: "t", textAnchor: "start", fill: "#444",
      }),
    ],
  });
  return { el, height };
}

/** Words of `text` in lines of at most `chars` characters (estimated widths; Plot's text mark does not wrap). */
function wrap(text: string, chars: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + 1 + word.length <= chars) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines.length ? lines : [""];
}

/** "max kurtosis 3.912 · max ∞-norm 2.5 (mlp.wo), 7.1 (mlp.layernorm)": what validate_sc.py's summary reports. */
function maxima(s: OutlierSeries, sites: readonly OutlierSite[]): string {
  const max = (pick: (p: OutlierPoint) => number, keep: (p: OutlierPoint) => boolean = () => true) => {
    const v = s.layers.filter(keep).map(pick).filter(Number.isFinite);
    return v.length ? formatNumber(Math.max(...v), 4) : "–";
  };
  const inf = sites.length > 1
    ? sites.map((site) => `${max((p) => p.infNorm, (p) => p.site === site)} (mlp.${site})`).join(", ")
    : max((p) => p.infNorm);
  return `max kurtosis ${max((p) => p.kurtosis)} · max ∞-norm ${inf}`;
}

/**
 * `digits` significant digits, without trailing zeros; exponent form only for very large or small numbers.
 * @example
 * formatNumber(3.14159, 3); // "3.14"
 */
export function formatNumber(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x);
  const v = Number(x.toPrecision(digits));
  return v !== 0 && (Math.abs(v) >= 1e7 || Math.abs(v) < 1e-4) ? v.toExponential(digits - 1) : String(v);
}

/**
 * Stack Plot's <svg> elements into one <svg>. Each becomes a <g> (same class, so Plot's scoped <style> still applies)
 * rather than a nested <svg>: Plot's style sets `height: auto` on its root, which on a nested <svg> means 100%.
 */
function compose(document: Document, parts: { el: Element; height: number }[], width: number, label: string): SVGSVGElement {
  const root = document.createElementNS(SVG_NS, "svg");
  const total = parts.reduce((a, p) => a + p.height, 0);
  const attrs = { xmlns: SVG_NS, width, height: total, viewBox: `0 0 ${width} ${total}`, "font-family": FONT, role: "img", "aria-label": label };
  for (const [k, v] of Object.entries(attrs)) root.setAttribute(k, String(v));
  const background = document.createElementNS(SVG_NS, "rect");
  for (const [k, v] of Object.entries({ width, height: total, fill: "white" })) background.setAttribute(k, String(v));
  root.appendChild(background);
  let y = 0;
  for (const { el, height } of parts) {
    if (el.tagName.toLowerCase() !== "svg") {
      throw new Error(`outlierChart: Plot returned <${el.tagName}>, expected <svg> (a Plot option made a <figure>)`);
    }
    const g = document.createElementNS(SVG_NS, "g");
    for (const { name, value } of Array.from(el.attributes)) {
      if (!["width", "height", "viewBox", "xmlns", "font-family"].includes(name)) g.setAttribute(name, value);
    }
    g.setAttribute("transform", `translate(0,${y})`);
    while (el.firstChild) g.appendChild(el.firstChild);
    root.appendChild(g);
    y += height;
  }
  return root as SVGSVGElement;
}
