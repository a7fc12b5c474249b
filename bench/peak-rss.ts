// Peak RSS of this process's own memory, in MB: Linux's VmHWM (per address space, reset at exec). getrusage's
// maxRSS also counts the parent's pages a spawned child was forked with (a bench parent that just wrote a 470 MB
// checkpoint made a 579 MB load read as 894 MB); it is the fallback elsewhere.
import { readFileSync } from "node:fs";

export function peakRssMB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) / 1024;
  } catch { /* not Linux */ }
  return process.resourceUsage().maxRSS / 1024;
}
