// Edge worker without precompiled modules: device "auto" must find Wasm unavailable (no run-time compilation in
// workerd) and fall back to the reference backend, saying why.
import { embedHandler } from "./handler.js";

export default embedHandler({ device: "auto" });
