// germ-js/plot: the outlier chart (Observable Plot, passed in by the caller) and the series it is drawn from.
// Importing this pulls in neither Plot nor a DOM: the page or the CLI supplies both.
/**
 * The GERM paper's outlier chart (`germ-js/plot`): per-layer mean kurtosis and ∞-norm of the MLP outputs, one line
 * per model, drawn with Observable Plot, which the caller passes in with a DOM `document` (so importing this module
 * loads neither). Feed it {@link germ-js!GermModel.outliers} reports through {@link outlierSeries}.
 *
 * @packageDocumentation
 * @module germ-js/plot
 * @example
 * import { outlierChartSvg, outlierSeries } from "germ-js/plot";
 * import { writeFile } from "node:fs/promises";
 *
 * const Plot = await import("@observablehq/plot");
 * const { document } = (await import("linkedom")).parseHTML("<!doctype html><html><body></body></html>");
 * await writeFile("outliers.svg", outlierChartSvg([outlierSeries("GERM", await model.outliers(seqs))], { Plot, document }));
 */
export { outlierChart, outlierChartSvg, formatNumber } from "./outlier-chart.js";
export type { OutlierChartOptions, PlotLib } from "./outlier-chart.js";
export { outlierSeries, OUTLIER_SITES } from "./series.js";
export type { OutlierPoint, OutlierSeries, OutlierSite } from "./series.js";
