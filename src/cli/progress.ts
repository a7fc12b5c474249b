// Progress display and messages on stderr. The status line is drawn only on a terminal (logs and pipes stay
// clean): one line redrawn in place with \r and ANSI erase-line, throttled so fast loops do not flood it.
// Warnings and notes go above it (erase the line, print, redraw), terminal or not; --quiet drops them.

export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Progress {
  /** The status line is drawn (a terminal, not --quiet): token counts for it are worth computing. */
  readonly enabled: boolean;
  download(p: { file: string; loaded: number; total?: number; status: string }): void;
  batch(done: number, total: number, what: string): void;
  /**
   * Records done (and their tokens, when counted) while the total is unknown; the bar, the ETA and the rate
   * follow the input bytes read when their total is known.
   */
  stream(done: number, what: string, bytes: { loaded: number; total?: number }, tokens?: number): void;
  /** `germ: warning: …` above the status line (none with --quiet). */
  warn(text: string): void;
  /** `germ: …` above the status line (--verbose messages; none with --quiet). */
  note(text: string): void;
  /** Erase the status line (before normal output or an error message). */
  clear(): void;
}

const MB = 1024 * 1024;
const fmtMB = (n: number) => `${(n / MB).toFixed(1)} MB`;

/** 950, 1.50k, 12.3k, 250k, 4.56M: counts and rates in a short status line. */
export function fmtCount(n: number): string {
  if (n < 1000) return String(Math.round(n));
  const digits = (x: number) => (x < 10 ? 2 : x < 100 ? 1 : 0);
  if (n < 1e6) return `${(n / 1e3).toFixed(digits(n / 1e3))}k`;
  if (n < 1e9) return `${(n / 1e6).toFixed(digits(n / 1e6))}M`;
  return `${(n / 1e9).toFixed(2)}G`;
}

/** 45s, 3m07s, 2h05m. */
export function fmtDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export interface ProgressOptions {
  /** No warnings or notes (errors still print: commands.ts writes them). */
  quiet?: boolean;
  /** Clock in ms (tests). */
  now?: () => number;
}

export function createProgress(stderr: ProgressSink, enabled = stderr.isTTY === true, { quiet = false, now = Date.now }: ProgressOptions = {}): Progress {
  const drawing = enabled && !quiet;
  let last = 0;
  let shown = "";
  let start: number | undefined;
  const draw = (line: string, force: boolean) => {
    if (!drawing) return;
    const t = now();
    if (!force && t - last < 80) return;
    last = t;
    const width = Math.max(20, (stderr.columns ?? 80) - 1);
    shown = line.slice(0, width);
    stderr.write(`\r\x1b[2K${shown}`);
  };
  const above = (text: string) => {
    if (quiet) return;
    if (shown) stderr.write("\r\x1b[2K");
    stderr.write(text);
    if (shown) stderr.write(shown); // redraw the status line under it
  };
  return {
    enabled: drawing,
    download(p) {
      if (p.status === "cache") return draw(`${p.file}: from cache`, true);
      const done = p.status === "done";
      const size = p.total !== undefined ? `${fmtMB(p.loaded)} / ${fmtMB(p.total)}` : fmtMB(p.loaded);
      const pct = p.total ? ` ${Math.floor((100 * p.loaded) / p.total)}%` : "";
      draw(`${done ? "loaded" : "downloading"} ${p.file}  ${size}${pct}`, done);
    },
    batch(done, total, what) {
      const width = 24;
      const fill = total ? Math.round((width * done) / total) : width;
      draw(`[${"#".repeat(fill)}${"-".repeat(width - fill)}] ${done}/${total} ${what}`, done === total);
    },
    stream(done, what, bytes, tokens) {
      if (!drawing) return;
      const t = now();
      start ??= t;
      const secs = (t - start) / 1000;
      const rate = tokens !== undefined && secs > 0.5 ? `  ${fmtCount(tokens / secs)} tokens/s` : "";
      const counts = `${fmtCount(done)} ${what}${tokens !== undefined ? `, ${fmtCount(tokens)} tokens` : ""}${rate}`;
      if (bytes.total === undefined) return draw(`${counts}  ${fmtMB(bytes.loaded)} read`, false);
      const width = 24;
      const frac = bytes.total ? Math.min(1, bytes.loaded / bytes.total) : 1;
      const fill = Math.round(width * frac);
      // ETA from the share of the input read so far (the reader runs at most a chunk ahead of the model).
      const eta = frac > 0 && frac < 1 && secs > 0.5 ? `  ETA ${fmtDuration((secs * (1 - frac)) / frac)}` : "";
      draw(`[${"#".repeat(fill)}${"-".repeat(width - fill)}] ${Math.floor(100 * frac)}% ${counts}${eta}  ${fmtMB(bytes.loaded)} / ${fmtMB(bytes.total)}`, false);
    },
    warn(text) { above(`germ: warning: ${text}\n`); },
    note(text) { above(`germ: ${text}\n`); },
    clear() {
      if (shown) stderr.write("\r\x1b[2K");
      shown = "";
    },
  };
}
