// `germ outliers --plot chart.svg`: the chart file, opened before any model loads (a bad path fails first), written
// at the end with Observable Plot and linkedom, both imported only here and only then (other commands never load them).
import { open, stat, unlink, type FileHandle } from "node:fs/promises";
import { GermError, InputError } from "../errors.js";
import { outlierChartSvg, type PlotLib } from "../plot/outlier-chart.js";
import type { OutlierSeries } from "../plot/series.js";

export class ChartFile {
  private written = false;
  private constructor(readonly path: string, private readonly fh: FileHandle, private readonly created: boolean) {}

  /**
   * Open `path` for the chart. Append mode creates a missing file without truncating an existing one, so a run that
   * fails leaves an earlier chart as it was (and removes the file only if it made it).
   */
  static async open(path: string): Promise<ChartFile> {
    const existed = await stat(path).then(() => true, () => false);
    try {
      return new ChartFile(path, await open(path, "a"), !existed);
    } catch (e) {
      throw cannotWrite(path, e);
    }
  }

  get done(): boolean { return this.written; }

  /** Draw the series and write the SVG (replacing what the file held). */
  async write(series: OutlierSeries[], subtitle: string): Promise<void> {
    const { Plot, document } = await plotDeps();
    const svg = outlierChartSvg(series, { Plot, document, subtitle });
    try {
      await this.fh.truncate(0);
      await this.fh.write(svg); // append mode: lands at the (new) end, offset 0
      await this.fh.close();
    } catch (e) {
      throw cannotWrite(this.path, e);
    }
    this.written = true;
  }

  /** The run failed or stopped before the chart: close, and remove the file if this run created it. */
  async discard(): Promise<void> {
    if (this.written) return;
    await this.fh.close().catch(() => {});
    if (this.created) await unlink(this.path).catch(() => {});
  }
}

function cannotWrite(path: string, e: unknown): Error {
  if (e instanceof GermError) return e;
  const code = (e as { code?: string }).code;
  const why = code === "ENOENT" ? "no such directory" : code === "EISDIR" ? "is a directory" : code ?? (e as Error).message;
  return new InputError(`--plot: cannot write '${path}': ${why}`);
}

/** Plot and a DOM document in Node: linkedom's, which Plot accepts through its `document` option as it is. */
async function plotDeps(): Promise<{ Plot: PlotLib; document: Document }> {
  try {
    const [Plot, { parseHTML }] = await Promise.all([import("@observablehq/plot"), import("linkedom")]);
    return { Plot, document: parseHTML("<!doctype html><html><body></body></html>").document };
  } catch (e) {
    if ((e as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw e;
    throw new InputError(`--plot needs the packages @observablehq/plot and linkedom (dependencies of germ-js): ${(e as Error).message}`);
  }
}
