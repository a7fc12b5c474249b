// @web/test-runner in Debian's headless Chromium (../shared/RUNTIMES.md §3–4): runs build/test/browser/*.test.js
// (compile first: npm run build:ts). WebGPU there is SwiftShader behind --enable-unsafe-webgpu. The middleware serves
// the golden fixtures at /__fixtures__/ from the repo's test/fixtures (a checked copy of ../shared/fixtures, see
// test/fixtures/MANIFEST.sha256), or from $GERM_FIXTURES when that is set.
import { chromeLauncher } from "@web/test-runner-chrome";
import { createReadStream, existsSync, statSync } from "node:fs";
import { dirname, extname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(process.env.GERM_FIXTURES || resolve(root, "test/fixtures"));

/** GET /__fixtures__/<path> → the fixture file (404 when absent); GET /__germ_env__.json → { ci, fixtures }. */
function serveFixtures(ctx, next) {
  if (ctx.path === "/__germ_env__.json") {
    ctx.type = "application/json";
    ctx.body = JSON.stringify({
      ci: process.env.CI === "true", full: process.env.CI === "true" || process.env.GERM_FULL === "1",
      fixtures: existsSync(resolve(fixtures, "README.md")),
    });
    return;
  }
  if (!ctx.path.startsWith("/__fixtures__/")) return next();
  const file = resolve(fixtures, decodeURIComponent(ctx.path.slice("/__fixtures__/".length)));
  if (!file.startsWith(fixtures + sep) || !existsSync(file) || !statSync(file).isFile()) { ctx.status = 404; return; }
  ctx.type = extname(file) === ".json" ? "application/json" : "application/octet-stream";
  ctx.body = createReadStream(file);
}

/** COOP/COEP so SharedArrayBuffer (threaded Wasm) works in the page. */
function crossOriginIsolation(ctx, next) {
  ctx.set("Cross-Origin-Opener-Policy", "same-origin");
  ctx.set("Cross-Origin-Embedder-Policy", "require-corp");
  return next();
}

export default {
  rootDir: root,
  files: ["build/test/browser/**/*.test.js"],
  nodeResolve: true,
  concurrency: 1,
  testFramework: { config: { timeout: 300000 } }, // SwiftShader WebGPU runs a tiny model in seconds, not ms
  testsFinishTimeout: 900000,
  browserStartTimeout: 60000,
  middleware: [crossOriginIsolation, serveFixtures],
  browsers: [chromeLauncher({ launchOptions: {
    executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--enable-unsafe-webgpu"],
  } })],
};
