// Line-by-line reading of the CLI's own output files (resume and merge), in 1 MB chunks so any size streams.
import { createReadStream } from "node:fs";
import { InputError } from "../errors.js";

/** A complete line (without "\n"), its 1-based number and the byte offset just past its "\n". */
export interface Line { text: string; number: number; end: number }

/** The complete lines of `path`; `partial` (read after the loop) holds the bytes of an unfinished last line, if any. */
export function readLines(path: string): { lines: AsyncGenerator<Line>; partial: { bytes: number } } {
  const partial = { bytes: 0 };
  async function* lines(): AsyncGenerator<Line> {
    const decoder = new TextDecoder();
    let rest: Buffer[] = [], restBytes = 0, offset = 0, number = 0;
    try {
      for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
        let from = 0;
        for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, from)) {
          const piece = chunk.subarray(from, nl);
          const bytes = restBytes ? Buffer.concat([...rest, piece]) : piece;
          offset += bytes.length + 1;
          rest = []; restBytes = 0;
          yield { text: decoder.decode(bytes), number: ++number, end: offset };
          from = nl + 1;
        }
        if (from < chunk.length) { rest.push(chunk.subarray(from)); restBytes += chunk.length - from; }
      }
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError(`cannot read '${path}': ${(e as { code?: string }).code ?? (e as Error).message}`);
    }
    partial.bytes = restBytes;
  }
  return { lines: lines(), partial };
}
