// A target that produces one input of every outcome in turn (ok, typed, untyped, crash, hang, silent-wrong,
// tripwire), so fuzz.test.ts can check that the runner counts each where it belongs. Not part of a normal run.
import { FormatError } from "../../../src/errors.js";
import { SilentWrong, type Target } from "../target.js";

let next = 0;

export const canary: Target = {
  name: "canary",
  async setup() {},
  make: () => ({ data: next++, what: ["canary"] }),
  check(input) {
    // Inputs are numbered per worker; a restarted worker resumes after the culprit, so use the index it was given.
    const k = Number(process.argv[process.argv.indexOf("--from") + 1]) + (input.data as number);
    switch (k % 7) {
      case 0: return;
      case 1: throw new FormatError("canary: a typed error");
      case 2: throw new TypeError("canary: an untyped error");
      case 3: process.abort(); break;
      case 4: for (;;); // eslint-disable-line no-constant-condition
      case 5: throw new SilentWrong("canary: accepted but wrong");
      default: (0, eval)("1");
    }
  },
  bytes: () => new Uint8Array(0),
};
