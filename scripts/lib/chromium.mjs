// Headless Chromium for the app checks (puppeteer-core, the binary in $CHROMIUM_BIN or /usr/bin/chromium), with the
// same skip rule as scripts/test-browser.mjs: absent → skip with a message, except under CI=true (a failure there).
import { existsSync } from "node:fs";

export const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

/** null when Chromium is absent outside CI (the caller skips); exits 1 when it is absent under CI=true. */
export function chromiumOrSkip(what) {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const why = `no Chromium at ${CHROMIUM} (apt-get install chromium, or: source .ci/setup-webgpu.sh)`;
  if (process.env.CI === "true") { console.error(`${what}: ${why}`); process.exit(1); }
  console.log(`${what}: page checks skipped: ${why}`);
  return null;
}

export async function launchChromium(executablePath) {
  const { default: puppeteer } = await import("puppeteer-core");
  return puppeteer.launch({
    executablePath, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
}

/**
 * Load `url` in a fresh browser context and wait for the app's window.__result or window.__error. Returns them with
 * what the page said on the way: console warnings/errors (page and workers), uncaught errors, failed requests.
 */
export async function runApp(browser, url, timeoutMs = 120_000) {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  const log = { console: [], pageErrors: [], failedRequests: [] };
  const onConsole = (where) => (m) => {
    const t = m.type();
    if (t === "warn" || t === "warning") log.console.push(`${where}warn: ${m.text()}`);
    else if (t === "error") log.console.push(`${where}error: ${m.text()}`);
  };
  page.on("console", onConsole(""));
  page.on("workercreated", (w) => w.on("console", onConsole(`[worker ${w.url().split("/").pop().slice(0, 40)}] `)));
  page.on("pageerror", (e) => log.pageErrors.push(String(e?.message ?? e)));
  page.on("requestfailed", (r) => log.failedRequests.push(`${r.url()} (${r.failure()?.errorText ?? "failed"})`));
  page.on("response", (r) => { if (r.status() >= 400) log.failedRequests.push(`${r.url()} (HTTP ${r.status()})`); });
  try {
    await page.goto(url, { waitUntil: "load", timeout: timeoutMs });
    const done = () => window.__result !== undefined || window.__error !== undefined;
    await page.waitForFunction(done, { timeout: timeoutMs, polling: 200 });
    const { result, error } = await page.evaluate(() => ({ result: window.__result ?? null, error: window.__error ?? null }));
    return { result, error, ...log };
  } catch (e) {
    return { result: null, error: `page did not finish: ${e.message}`, ...log };
  } finally {
    await ctx.close().catch(() => {});
  }
}
