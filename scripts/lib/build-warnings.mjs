// The warnings a bundler printed while building the app, one entry per warning, marked when they concern germ-js.
// webpack's come from its stats JSON (structured); esbuild, rollup and Vite print theirs, which are cut into blocks.
import { existsSync, readFileSync } from "node:fs";

// Vite colours its output when CI=true even without a TTY (picocolors), so escapes are removed first.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** The output without colour escapes and stack frames, at most `max` lines: what a failed build's message needs. */
export function buildLog(out, max = 20) {
  const lines = out.replace(ANSI, "").split("\n").filter((l) => !/^\s+at /.test(l) && l.trim() !== "");
  return lines.slice(0, max).join("\n") + (lines.length > max ? `\n… (${lines.length - max} more lines)` : "");
}

/** webpack: the errors in stats.json (webpack-cli --json <file> prints nothing else). */
export function webpackErrors(statsFile) {
  if (!existsSync(statsFile)) return "";
  const stats = JSON.parse(readFileSync(statsFile, "utf8"));
  return (stats.errors ?? []).map((e) => `${e.moduleName ?? ""}\n${e.message}`.replace(ANSI, "")).join("\n");
}

/** A warning: its text (at most a few lines), whether it names germ-js, and whether it is webpack's "Critical dependency". */
function entry(text) {
  const t = text.trim();
  return { text: t, germ: /germ-js/.test(t), critical: /Critical dependency/i.test(t) };
}

/** Blocks of `out` that start at a line matching `start` and end before `stop` (or after `max` lines). */
function blocks(out, start, stop, max = 12) {
  const lines = out.replace(ANSI, "").split("\n");
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    if (!start.test(lines[i])) continue;
    const body = [lines[i]];
    for (let j = i + 1; j < lines.length && j < i + max && !start.test(lines[j]) && !stop.test(lines[j]); j++) body.push(lines[j]);
    found.push(entry(body.join("\n")));
  }
  return found;
}

/** webpack: stats.json's warnings (webpack-cli --json <file>), with the module each came from. */
export function webpackWarnings(statsFile) {
  if (!existsSync(statsFile)) return [];
  const stats = JSON.parse(readFileSync(statsFile, "utf8"));
  return (stats.warnings ?? []).map((w) => entry(`${w.moduleName ?? w.moduleIdentifier ?? ""}\n${w.message}`.replace(ANSI, "")));
}

/** esbuild: "▲ [WARNING] …" with its location lines, up to the next diagnostic or the output summary. */
export function esbuildWarnings(out) {
  return blocks(out, /^▲ \[WARNING\]/, /^(✘ \[ERROR\]|\d+ (warnings?|errors?)$|\s{2}\S+\s+[\d.]+[kmg]?b\s*$|⚡ Done)/);
}

/** rollup: "(!) Title" and its detail lines, up to the next one or "created …". */
export function rollupWarnings(out) {
  return blocks(out, /^\(!\)/, /^(created |\[\d{4}-)/);
}

/** Vite (rollup- or rolldown-based): "(!)"-style, "[plugin …]" and lines that say "warning", up to a blank line. */
export function viteWarnings(out) {
  const start = /^\s*(\(!\)|\[plugin[^\]]*\]|\[[A-Z_]+\] Warning|warning|.*\bwarn(ing)?:)|cannot be analyzed|Critical dependency/i;
  return blocks(out, start, /^\s*$/);
}
