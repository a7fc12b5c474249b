// A bare static file server for the bundled apps: the output folder at /, the golden fixtures at /models/, and only
// the two headers a threaded-Wasm page needs (COOP/COEP → crossOriginIsolated → SharedArrayBuffer) added.
import { createServer } from "node:http";
import { createReadStream, existsSync, statSync } from "node:fs";
import { extname, join, resolve, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json", ".wasm": "application/wasm", ".css": "text/css", ".map": "application/json",
};

/** Serve `root` (and `fixtures` under /models/) on 127.0.0.1, plus `headers` on every answer; resolves to { url, close() }. */
export function serveStatic(root, fixtures, headers = {}) {
  const roots = [["/models/", resolve(fixtures)], ["/", resolve(root)]];
  const server = createServer((req, res) => {
    res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
    res.setHeader("Cross-Origin-Embedder-Policy", "require-corp");
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const [prefix, base] = roots.find(([p]) => path.startsWith(p));
    let file = resolve(base, "." + path.slice(prefix.length - 1));
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if ((file !== base && !file.startsWith(base + sep)) || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.end("not found");
      return;
    }
    res.setHeader("Content-Type", TYPES[extname(file)] ?? "application/octet-stream");
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok({
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }),
  })));
}
