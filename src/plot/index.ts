// germ-js/plot: the outlier chart (Observable Plot, passed in by the caller) and the series it is drawn from.
// Importing this pulls in neither Plot nor a DOM: the page or the CLI supplies both.
export { outlierChart, outlierChartSvg, formatNumber } from "./outlier-chart.js";
export type { OutlierChartOptions, PlotLib } from "./outlier-chart.js";
export { outlierSeries, OUTLIER_SITES } from "./series.js";
export type { OutlierPoint, OutlierSeries, OutlierSite } from "./series.js";
