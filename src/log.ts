// One-time warnings: a fallback or a missing head is reported once per process, not per call.
const warned = new Set<string>();

/**
 * Which console messages germ-js prints (`env.logLevel`): "warn" (default) prints one-time warnings (a fallback
 * backend, a default softmax, unused checkpoint tensors); "info" also notes what a checkpoint lacks (heads whose
 * calls will throw MissingTensorError); "silent" and "error" print none.
 * @category Settings
 */
export type LogLevel = "silent" | "error" | "warn" | "info";
export const logSettings: { level: LogLevel } = { level: "warn" };

export function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  if (logSettings.level === "warn" || logSettings.level === "info") console.warn(`germ-js: ${message}`);
}

/** A one-time note printed only at env.logLevel "info" (what is worth knowing but calls for no action). */
export function infoOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  if (logSettings.level === "info") console.info(`germ-js: ${message}`);
}
