// What the outlier chart plots: one series per model, one point per layer and site (mlp.wo / mlp.layernorm output),
// taken from what GermModel.outliers() summarizes (validate_sc.py's per-module means over every real token).
import { InputError } from "../errors.js";
import type { OutlierReport, OutlierSummary } from "../pipeline/outliers.js";

/** Where GERM measures activations: each layer's `mlp.wo` output and its `mlp.layernorm` output. */
export type OutlierSite = "wo" | "layernorm";

/** The sites, in the order the chart draws them. */
export const OUTLIER_SITES: readonly OutlierSite[] = ["wo", "layernorm"];

/** One layer of one model at one site: the means over tokens of the per-token kurtosis and ∞-norm. */
export interface OutlierPoint {
  /** 0-based, as in the module name `bert.encoder.layer.{layer}`. */
  layer: number;
  /** Mean over tokens of the per-token kurtosis. */
  kurtosis: number;
  /** Mean over tokens of the per-token ∞-norm. */
  infNorm: number;
  /** Undefined: a chart with a single site (no site panels). */
  site?: OutlierSite;
}

/** One model's line in the chart. */
export interface OutlierSeries {
  /** The legend entry; unique within a chart. */
  name: string;
  /** A point per layer (and site). */
  layers: OutlierPoint[];
}

const MODULE = /^bert\.encoder\.layer\.(\d+)\.mlp\.(wo|layernorm)$/;

/**
 * The chart series of one model from its outlier report (or just its summary): a point per module of
 * `summary.modules`, i.e. per layer and site, sorted by layer then site.
 * @example
 * const germ = outlierSeries("GERM", await model.outliers(seqs));
 * germ.layers[0]; // { layer: 0, site: "wo", kurtosis: …, infNorm: … }
 */
export function outlierSeries(name: string, report: OutlierReport | OutlierSummary): OutlierSeries {
  const summary = "summary" in report ? report.summary : report;
  if (!summary || typeof summary.modules !== "object" || summary.modules === null) {
    throw new InputError(`outlierSeries('${name}'): expected an OutlierReport or OutlierSummary with 'modules'`);
  }
  const layers = Object.entries(summary.modules).map(([module, m]): OutlierPoint => {
    const match = MODULE.exec(module);
    if (!match) throw new InputError(`outlierSeries('${name}'): module '${module}' is not bert.encoder.layer.<j>.mlp.wo|layernorm`);
    return { layer: Number(match[1]), site: match[2] as OutlierSite, kurtosis: m.kurtosisMean, infNorm: m.infNormMean };
  });
  layers.sort((a, b) => a.layer - b.layer || OUTLIER_SITES.indexOf(a.site!) - OUTLIER_SITES.indexOf(b.site!));
  return { name, layers };
}
