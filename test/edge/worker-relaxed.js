// Edge worker on the relaxed-SIMD build, the one germ-js's own message recommends when it finds Wasm uncompilable.
import { env } from "germ-js";
import relaxed from "germ-js/wasm/relaxed.wasm";
import { embedHandler } from "./handler.js";

env.wasmModules = { relaxed };

export default embedHandler({ device: "wasm" });
