#!/usr/bin/env node
// The demo's static server (docs/demo/README.md): docs/demo/ at /, the built library (dist/) at /dist/, Plot's and
// d3's UMD builds at /vendor/, and with --models DIR that folder at /models/. Node's http only, 127.0.0.1 only.
// Every response is cross-origin isolated (COOP + COEP), so the page may use SharedArrayBuffer: threaded Wasm.
//   node scripts/demo.mjs [--port 8080] [--models test/fixtures]      (--port 0 picks a free port)
import { createServer } from "node:http";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { dirname, extname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const MIME = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8", ".json": "application/json; charset=utf-8", ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm", ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon",
  ".md": "text/markdown; charset=utf-8", ".txt": "text/plain; charset=utf-8",
};

/** Headers on every response, errors included: a COEP page refuses subresources without CORP. */
const ISOLATION = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Content-Type-Options": "nosniff",
  "Cache-Control": "no-cache",
};

/** URL prefix → folder (a file for the exact vendor paths). Longest prefix first. */
function routes(models) {
  const r = [
    { prefix: "/vendor/plot.umd.min.js", file: resolve(repo, "node_modules/@observablehq/plot/dist/plot.umd.min.js") },
    { prefix: "/vendor/d3.min.js", file: resolve(repo, "node_modules/d3/dist/d3.min.js") },
    { prefix: "/dist/", dir: resolve(repo, "dist") },
  ];
  if (models) r.push({ prefix: "/models/", dir: resolve(models) });
  r.push({ prefix: "/", dir: resolve(repo, "docs/demo") });
  return r;
}

/** The file a URL path names, or null (unknown route, bad escape, or a path that climbs out of its folder). */
function locate(table, urlPath) {
  let path;
  try { path = decodeURIComponent(urlPath); } catch { return null; }
  if (path.includes("\0") || path.includes("\\")) return null;
  for (const r of table) {
    if (r.file) { if (path === r.prefix) return r.file; continue; }
    if (!path.startsWith(r.prefix)) continue;
    const rest = path.slice(r.prefix.length) || "index.html";
    const file = resolve(r.dir, rest);
    return file.startsWith(r.dir + sep) ? file : null;
  }
  return null;
}

function reply(res, status, text) {
  res.writeHead(status, { ...ISOLATION, "Content-Type": "text/plain; charset=utf-8" });
  res.end(`${status} ${text}\n`);
}

/** Start the server; resolves to { server, url } once it listens. */
export function startDemoServer({ port = 8080, models } = {}) {
  const table = routes(models);
  const server = createServer(async (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return reply(res, 405, "method not allowed");
    const file = locate(table, new URL(req.url ?? "/", "http://x").pathname);
    if (!file) return reply(res, 404, "not found");
    let st;
    try { st = await stat(file); } catch { return reply(res, 404, "not found"); }
    if (!st.isFile()) return reply(res, 404, "not found");
    res.writeHead(200, {
      ...ISOLATION,
      "Content-Type": MIME[extname(file).toLowerCase()] ?? "application/octet-stream",
      "Content-Length": st.size,
    });
    if (req.method === "HEAD") return res.end();
    createReadStream(file).on("error", () => res.destroy()).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => ok({ server, url: `http://127.0.0.1:${server.address().port}/` }));
  });
}

function parseArgs(argv) {
  const opts = { port: 8080, models: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    if (a === "--port" && v !== undefined && /^\d+$/.test(v) && Number(v) < 65536) { opts.port = Number(v); i++; }
    else if (a === "--models" && v !== undefined) { opts.models = v; i++; }
    else if (a === "--help" || a === "-h") {
      console.log("usage: node scripts/demo.mjs [--port N (0: any free)] [--models DIR]");
      process.exit(0);
    }
    else { console.error(`demo: unknown or incomplete option ${JSON.stringify(a)} (try --help)`); process.exit(2); }
  }
  return opts;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.models) {
    const st = await stat(opts.models).catch(() => null);
    if (!st?.isDirectory()) { console.error(`demo: --models ${opts.models} is not a folder`); process.exit(2); }
  }
  const { url } = await startDemoServer(opts).catch((e) => {
    console.error(`demo: cannot listen on 127.0.0.1:${opts.port}: ${e.code ?? e.message}`);
    process.exit(1);
  });
  console.log(`germ-js demo: ${url}${opts.models ? `  (models from ${resolve(opts.models)} at ${url}models/)` : ""}`);
}
