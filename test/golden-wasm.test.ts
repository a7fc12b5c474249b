// Goldens on the Wasm backend with 1 and 2 threads (results must match the fixtures either way).
import { runGoldenSuite } from "./helpers/golden.js";

runGoldenSuite("wasm", { threads: 1 });
runGoldenSuite("wasm", { threads: 2 });
