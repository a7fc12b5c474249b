// Entry of the Wasm worker file (dist/chunks/worker.js, exported as germ-js/worker): only runs workerBody().
import { workerBody } from "./worker-body.js";

workerBody();
