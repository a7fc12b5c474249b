// Progress display on stderr for downloads and batches. Drawn only on a terminal: logs and pipes stay clean.
// One status line, redrawn in place with \r and ANSI erase-line, throttled so fast loops do not flood it.

export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Progress {
  download(p: { file: string; loaded: number; total?: number; status: string }): void;
  batch(done: number, total: number, what: string): void;
  /** Records done while the total is unknown; the bar follows the input bytes read when their total is known. */
  stream(done: number, what: string, bytes: { loaded: number; total?: number }): void;
  /** Erase the status line (before normal output or an error message). */
  clear(): void;
}

const MB = 1024 * 1024;
const fmtMB = (n: number) => `${(n / MB).toFixed(1)} MB`;

export function createProgress(stderr: ProgressSink, enabled = stderr.isTTY === true): Progress {
  if (!enabled) return { download() {}, batch() {}, stream() {}, clear() {} };
  let last = 0;
  let shown = false;
  const draw = (line: string, force: boolean) => {
    const now = Date.now();
    if (!force && now - last < 80) return;
    last = now;
    const width = Math.max(20, (stderr.columns ?? 80) - 1);
    stderr.write(`\r\x1b[2K${line.slice(0, width)}`);
    shown = true;
  };
  return {
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
    stream(done, what, bytes) {
      const width = 24;
      if (bytes.total === undefined) return draw(`${done} ${what}  ${fmtMB(bytes.loaded)} read`, false);
      const frac = bytes.total ? Math.min(1, bytes.loaded / bytes.total) : 1;
      const fill = Math.round(width * frac);
      draw(`[${"#".repeat(fill)}${"-".repeat(width - fill)}] ${Math.floor(100 * frac)}% ${done} ${what}  ${fmtMB(bytes.loaded)} / ${fmtMB(bytes.total)}`, false);
    },
    clear() {
      if (shown) stderr.write("\r\x1b[2K");
      shown = false;
    },
  };
}
