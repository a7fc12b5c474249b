// A TCP port on 127.0.0.1 that nothing listens on right now (for servers that take a port number: Vite, workerd).
import { createServer } from "node:net";

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => ok(port)); });
  });
}
