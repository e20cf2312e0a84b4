import { Writable } from 'node:stream';

/** A pino destination that keeps every line in memory, for log assertions. */
export function captureLogs() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { lines, destination, text: () => lines.join('') };
}
