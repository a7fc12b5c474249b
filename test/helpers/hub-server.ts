// A local HuggingFace-style file server on 127.0.0.1 (port 0): `/<org>/<repo>/resolve/<rev>/<file>`.
// Tests never touch the network; `boom.bin` answers 500 to exercise error paths, `endless.bin` a chunked body that
// never ends (no Content-Length). `aborted` lists the paths whose response the client cut before it was complete.
import { createServer, type Server, type ServerResponse } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";

/** Maps (repo, revision, file) to a path on disk, or null for 404. */
export type HubResolver = (repo: string, revision: string, file: string) => string | null;

export async function startHub(resolve: HubResolver) {
  const requests: string[] = [];
  const aborted: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    requests.push(path);
    res.on("close", () => { if (!res.writableFinished) aborted.push(path); });
    const m = /^\/(.+?\/.+?)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (m && m[3] === "boom.bin") { res.writeHead(500); res.end("nope"); return; }
    if (m && m[3] === "endless.bin") { endless(res); return; }
    const file = m ? resolve(m[1]!, m[2]!, m[3]!) : null;
    if (!file || !existsSync(file)) { res.writeHead(404); res.end("not found"); return; }
    const data = readFileSync(file);
    res.writeHead(200, { "content-length": String(data.length) });
    // Two writes so the client sees more than one chunk.
    res.write(data.subarray(0, data.length >> 1));
    setTimeout(() => res.end(data.subarray(data.length >> 1)), 5);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  return { url, requests, aborted, close };
}

/** 64 KiB chunks for as long as the client reads them (chunked encoding: no Content-Length). */
function endless(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/octet-stream" });
  const chunk = Buffer.alloc(1 << 16, 7);
  const pump = () => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once("drain", pump);
  };
  pump();
}
