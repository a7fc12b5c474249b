// The bundler matrix: the packed germ-js (npm pack, unpacked with tar into a temp project — no registry) bundled into
// test/apps/ by Vite 8, Vite 7, esbuild, webpack 5 and rollup with the config a user writes from each one's docs,
// plus the Vite 7 dev server. Each result is served with COOP/COEP only and loaded in headless Chromium: embeddings
// must match the golden (tiny-softmax1 mean_pooled, the golden tests' tolerance) on Wasm with 2 threads, with no
// page errors and no webpack "Critical dependency" warning from germ-js. Other warnings are listed.
// Needs `npm run build` first (npm test does). Without Chromium the page checks are skipped (except under CI=true).
// Usage: node scripts/test-bundlers.mjs [--only vite8,webpack] [--keep]   (--keep leaves the temp projects)
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO, fmtBytes, installInto, pack } from "./lib/pack.mjs";
import { FIXTURES, MODEL, TOL, checkEmbeddings, loadGolden } from "./lib/golden.mjs";
import { chromiumOrSkip, launchChromium, runApp } from "./lib/chromium.mjs";
import { serveStatic } from "./lib/static-server.mjs";
import { freePort } from "./lib/free-port.mjs";
import { buildLog, esbuildWarnings, rollupWarnings, viteWarnings, webpackErrors, webpackWarnings }
  from "./lib/build-warnings.mjs";

const NM = join(REPO, "node_modules");
const APP = join(REPO, "test", "apps");
const THREADS = 2; // test/apps/main.js asks for 2

const arg = (name) => { const i = process.argv.indexOf(name); return i < 0 ? null : process.argv[i + 1] ?? ""; };
const only = arg("--only")?.split(",");
const keep = process.argv.includes("--keep");

const COOP_COEP = `{ "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" }`;

/**
 * Each bundler: the files a user adds to the app (config), the build command (binaries from the repo's node_modules,
 * run in the project so `germ-js` resolves from its node_modules), the output folder, and how to read warnings.
 * `html`: the folder gets a copy of index.html (bundlers that do not process HTML).
 */
const BUNDLERS = [
  { id: "vite8", name: "vite 8 build", cmd: ["node", join(NM, "vite/bin/vite.js"), "build"], out: "dist", warnings: viteWarnings },
  // A page whose Content-Security-Policy forbids blob: workers: germ-js must fall back to the worker file Vite emitted.
  { id: "vite8-csp", name: "vite 8 + CSP", cmd: ["node", join(NM, "vite/bin/vite.js"), "build"], out: "dist", warnings: viteWarnings,
    headers: { "Content-Security-Policy": "worker-src 'self'" } },
  { id: "vite7", name: "vite 7 build", cmd: ["node", join(NM, "vite7/bin/vite.js"), "build"], out: "dist", warnings: viteWarnings },
  {
    id: "esbuild", name: "esbuild", html: true, out: "out", warnings: esbuildWarnings,
    cmd: [join(NM, ".bin/esbuild"), "main.js", "--bundle", "--format=esm", "--outdir=out"],
  },
  {
    id: "webpack", name: "webpack 5", html: true, out: "out", statsFile: "stats.json",
    cmd: ["node", join(NM, "webpack-cli/bin/cli.js"), "--json", "stats.json"],
    files: {
      "webpack.config.js": `import { fileURLToPath } from "node:url";\n\nexport default {\n  mode: "production",\n` +
        `  entry: "./main.js",\n  output: { path: fileURLToPath(new URL("out", import.meta.url)), filename: "main.js" },\n};\n`,
    },
  },
  {
    // rollup bundles no package without node-resolve; the project has it installed (linked from the repo).
    id: "rollup", name: "rollup", html: true, out: "out", warnings: rollupWarnings, links: ["@rollup/plugin-node-resolve"],
    cmd: ["node", join(NM, "rollup/dist/bin/rollup"), "-c"],
    files: {
      "rollup.config.mjs": `import { nodeResolve } from "@rollup/plugin-node-resolve";\n\nexport default {\n` +
        `  input: "main.js",\n  output: { dir: "out", format: "es" },\n  plugins: [nodeResolve()],\n};\n`,
    },
  },
  {
    // The dev server serves public/ at /, so the model goes to public/models/ (a build would copy it into dist).
    id: "vite7-dev", name: "vite 7 dev", dev: join(NM, "vite7/bin/vite.js"), publicModel: true,
    files: { "vite.config.js": `export default { server: { headers: ${COOP_COEP} } };\n` },
  },
].filter((b) => !only || only.includes(b.id));

if (!FIXTURES) { console.log(`test:bundlers: skipped: no golden fixtures (test/fixtures or $GERM_FIXTURES)`); process.exit(0); }
const chromium = chromiumOrSkip("test:bundlers");
const golden = loadGolden(MODEL);
const work = mkdtempSync(join(tmpdir(), "germ-bundlers-"));
const t0 = Date.now();

/** Run a command in `cwd`; resolves to { code, out } (stdout + stderr), killing it after `timeoutMs`. */
function run(cmd, cwd, timeoutMs = 180_000) {
  return new Promise((done) => {
    const p = spawn(cmd[0], cmd.slice(1), { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "" } });
    let out = "";
    p.stdout.on("data", (d) => { out += d; });
    p.stderr.on("data", (d) => { out += d; });
    const timer = setTimeout(() => { out += `\n(killed after ${timeoutMs / 1000} s)`; p.kill("SIGKILL"); }, timeoutMs);
    p.on("close", (code) => { clearTimeout(timer); done({ code, out }); });
    p.on("error", (e) => { clearTimeout(timer); done({ code: -1, out: `${out}\n${e.message}` }); });
  });
}

/** A temp project: package.json, the app, germ-js unpacked into node_modules, the bundler's config and links. */
function makeProject(b, tarball) {
  const dir = join(work, b.id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `app-${b.id}`, private: true, type: "module" }, null, 2));
  for (const f of ["index.html", "main.js"]) cpSync(join(APP, f), join(dir, f));
  installInto(tarball, dir);
  for (const [name, text] of Object.entries(b.files ?? {})) writeFileSync(join(dir, name), text);
  for (const pkg of b.links ?? []) {
    const target = join(NM, pkg);
    if (!existsSync(target)) throw new Error(`${b.name}: ${pkg} is not installed in the repo's node_modules`);
    mkdirSync(join(dir, "node_modules", pkg, ".."), { recursive: true });
    symlinkSync(target, join(dir, "node_modules", pkg), "dir");
  }
  if (b.publicModel) {
    const dest = join(dir, "public", "models", MODEL);
    mkdirSync(dest, { recursive: true });
    for (const f of ["config.json", "tokenizer.json", "model.safetensors", "golden.json"]) cpSync(join(golden.dir, f), join(dest, f));
  }
  return dir;
}

/** Bytes of every file under `dir` except source maps, and the file count. */
function folderSize(dir) {
  let bytes = 0, files = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || e.name.endsWith(".map")) continue;
    bytes += statSync(join(e.parentPath ?? e.path, e.name)).size;
    files++;
  }
  return { bytes, files };
}

/** Start `vite` (dev) in `dir` on a free port; resolves when it answers, with { url, out(), stop() }. */
async function startViteDev(viteBin, dir) {
  const port = await freePort();
  const p = spawn("node", [viteBin, "--host", "127.0.0.1", "--port", String(port), "--strictPort"], {
    cwd: dir, stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...process.env, NODE_OPTIONS: "" },
  });
  let out = "";
  p.stdout.on("data", (d) => { out += d; });
  p.stderr.on("data", (d) => { out += d; });
  const stop = () => { try { process.kill(-p.pid, "SIGTERM"); } catch { /* already gone */ } };
  process.once("exit", stop);
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 300; i++) {
    if (p.exitCode !== null) throw new Error(`vite dev exited (${p.exitCode}):\n${out}`);
    try { if ((await fetch(url)).ok) return { url, out: () => out, stop }; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  stop();
  throw new Error(`vite dev did not answer on ${url} in 30 s:\n${out}`);
}

/** Page checks of one served app: the result row's threads/err/backend fields and its failures. */
function judge(row, page) {
  row.console = page.console;
  row.pageErrors = page.pageErrors;
  row.failedRequests = page.failedRequests;
  if (page.error) row.failures.push(`page: ${page.error.split("\n").slice(0, 6).join("\n    ")}`);
  for (const e of page.pageErrors) row.failures.push(`uncaught error in the page: ${e}`);
  const r = page.result;
  if (!r) return;
  row.info = r.info;
  const { maxAbs, failure } = checkEmbeddings(r.embeddings, golden);
  row.maxAbs = maxAbs;
  if (failure) row.failures.push(`golden: ${failure}`);
  if (r.info?.backend !== "wasm") row.failures.push(`backend is ${r.info?.backend}, expected wasm`);
  if (r.info?.threads !== THREADS) {
    row.failures.push(`threads ${r.info?.threads}, expected ${THREADS} (crossOriginIsolated: ${r.crossOriginIsolated})`);
  }
}

function newRow(name) {
  return { name, build: "—", size: null, files: 0, maxAbs: null, info: null, buildWarnings: [], failures: [], console: [] };
}

async function testOne(b, tarball, browser) {
  const row = newRow(b.name);
  const dir = makeProject(b, tarball);
  let served = null;
  try {
    if (b.dev) {
      if (!browser) { row.build = "skipped"; return row; }
      const dev = await startViteDev(b.dev, dir);
      try {
        row.build = "dev";
        judge(row, await runApp(browser, dev.url));
      } finally {
        dev.stop();
        row.buildWarnings = viteWarnings(dev.out());
      }
      return row;
    }
    const t = Date.now();
    const { code, out } = await run(b.cmd, dir);
    row.buildSeconds = (Date.now() - t) / 1000;
    row.buildWarnings = b.statsFile ? webpackWarnings(join(dir, b.statsFile)) : b.warnings(out);
    if (code !== 0) {
      row.build = "FAIL";
      const log = buildLog(b.statsFile ? `${webpackErrors(join(dir, b.statsFile))}\n${out}` : out);
      row.failures.push(`build exited ${code}:\n    ${log.split("\n").join("\n    ")}`);
      return row;
    }
    row.build = "ok";
    const outDir = join(dir, b.out);
    if (b.html) cpSync(join(APP, "index.html"), join(outDir, "index.html"));
    const size = folderSize(outDir);
    row.size = size.bytes;
    row.files = size.files;
    if (!browser) return row;
    served = await serveStatic(outDir, FIXTURES, b.headers);
    judge(row, await runApp(browser, served.url));
    return row;
  } finally {
    await served?.close();
    for (const w of row.buildWarnings) {
      if (w.germ && w.critical) row.failures.push(`webpack Critical dependency from germ-js: ${w.text.split("\n").join(" | ")}`);
    }
  }
}

const pad = (s, n) => String(s).padEnd(n);
function printTable(rows) {
  const head = ["bundler", "build", "size (files)", "backend/build", "threads", "max |err|", "warnings build/germ/page", "result"];
  const w = [14, 7, 18, 18, 8, 11, 25, 6];
  console.log("\n" + head.map((h, i) => pad(h, w[i])).join(" "));
  console.log(w.map((n) => "-".repeat(n)).join(" "));
  for (const r of rows) {
    const cells = [
      r.name, r.build, r.size === null ? "—" : `${fmtBytes(r.size)} (${r.files})`,
      r.info ? `${r.info.backend}/${r.info.build}` : "—", r.info?.threads ?? "—",
      r.maxAbs === null ? "—" : r.maxAbs.toExponential(2),
      `${r.buildWarnings.length}/${r.buildWarnings.filter((x) => x.germ).length}/${r.console.length}`,
      r.failures.length ? "FAIL" : "ok",
    ];
    console.log(cells.map((c, i) => pad(c, w[i])).join(" "));
  }
}

function printDetails(rows) {
  for (const r of rows) {
    const lines = [];
    for (const x of r.buildWarnings) {
      lines.push(`  build warning${x.germ ? " (germ-js)" : ""}: ${x.text.split("\n").slice(0, 6).join("\n      ")}`);
    }
    for (const c of r.console) lines.push(`  console ${c.slice(0, 400)}`);
    for (const f of r.failedRequests ?? []) lines.push(`  failed request: ${f}`);
    for (const f of r.failures) lines.push(`  FAIL ${f}`);
    const took = r.buildSeconds ? `; built in ${r.buildSeconds.toFixed(1)} s` : "";
    if (r.info) lines.unshift(`  info: ${JSON.stringify(r.info)}${took}`);
    if (lines.length) console.log(`\n${r.name}:\n${lines.join("\n")}`);
  }
}

let browser = null;
let failed = false;
try {
  const p = pack(join(work, "pack"));
  console.log(`germ-js tarball: ${fmtBytes(p.size)} packed, ${fmtBytes(p.unpackedSize)} unpacked, ${p.entryCount} files`);
  if (chromium) browser = await launchChromium(chromium);
  const rows = [];
  for (const b of BUNDLERS) {
    process.stdout.write(`${b.name}… `);
    let row;
    try {
      row = await testOne(b, p.tarball, browser);
    } catch (e) {
      row = { ...newRow(b.name), build: "error", failures: [e.stack ?? String(e)] };
    }
    console.log(row.failures.length ? "FAIL" : "ok");
    rows.push(row);
  }
  printTable(rows);
  printDetails(rows);
  failed = rows.some((r) => r.failures.length);
  console.log(`\ntolerance |err| ≤ ${TOL.atol} + ${TOL.rtol}·|want| (mean_pooled of ${golden.names.length} ${MODEL} sequences); ` +
    `${((Date.now() - t0) / 1000).toFixed(0)} s${browser ? "" : "; page checks skipped (no Chromium)"}`);
} finally {
  await browser?.close();
  if (keep) console.log(`kept ${work}`); else rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
