// Goldens on the reference backend (the oracle the other backends are measured against).
import { runGoldenSuite } from "./helpers/golden.js";

runGoldenSuite("reference");
