// Edge worker on the Wasm backend: workerd forbids compiling Wasm at run time, so the build comes in precompiled as
// a .wasm module import (wrangler's and workerd's way) and is handed to germ-js through env.wasmModules.
import { env } from "germ-js";
import simd from "germ-js/wasm/simd.wasm";
import { embedHandler } from "./handler.js";

env.wasmModules = { simd };

export default embedHandler({ device: "wasm" });
