// What a fuzz target is (a seeded input maker plus a parser call with its oracle) and how one input's outcome is
// classified. Shared by the worker (which runs inputs) and the runner (which prints the table).
import { GermError } from "../../src/errors.js";
import type { Rand } from "./rand.js";

export const OUTCOMES = ["ok", "typed", "untyped", "crash", "hang", "silent-wrong", "tripwire"] as const;
export type Outcome = (typeof OUTCOMES)[number];
/** Outcomes that fail a run. */
export const FAILURES: readonly Outcome[] = ["untyped", "crash", "hang", "silent-wrong", "tripwire"];
/** A typed error with a longer message counts as untyped: messages must stay short whatever the input. */
export const MAX_MESSAGE = 2000;

/** Thrown by an oracle: the parser accepted the input but what it returned is not what the input holds. */
export class SilentWrong extends Error {}

export interface FuzzInput {
  /** Whatever the target's check takes (bytes, text, an object). */
  data: unknown;
  /** The seed and mutations applied, for reports. */
  what: string[];
}

export interface Target {
  readonly name: string;
  /** Loads seeds (fixtures) once per worker process. */
  setup(): Promise<void>;
  /** The input for this generator (seeded per input index). */
  make(r: Rand): FuzzInput;
  /** Parse the input; return normally when accepted and the oracle agrees, throw otherwise. */
  check(input: FuzzInput): void | Promise<void>;
  /** The input as a file, for --save. */
  bytes(input: FuzzInput): Uint8Array;
}

/** The outcome of a check that threw `e` (undefined: it returned), and a one-line reason for failures. */
export function classify(e: unknown, threw: boolean): { outcome: Outcome; reason?: string } {
  if (!threw) return { outcome: "ok" };
  if (e instanceof SilentWrong) return { outcome: "silent-wrong", reason: e.message.slice(0, 300) };
  if (e instanceof GermError) {
    if (e.message.length <= MAX_MESSAGE) return { outcome: "typed" };
    return { outcome: "untyped", reason: `${e.name} with a ${e.message.length}-character message: ${e.message.slice(0, 200)}…` };
  }
  const err = e as { name?: unknown; message?: unknown; stack?: unknown } | null;
  const name = typeof err?.name === "string" ? err.name : typeof e;
  const message = typeof err?.message === "string" ? err.message.slice(0, 200) : "";
  const at = typeof err?.stack === "string" ? (err.stack.split("\n").find((l) => l.includes("/src/")) ?? "").trim().slice(0, 160) : "";
  return { outcome: "untyped", reason: `${name}: ${message}${at ? ` (${at})` : ""}` };
}
