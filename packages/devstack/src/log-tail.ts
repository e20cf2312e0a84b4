import { open } from 'node:fs/promises';

/**
 * The last `lines` lines of a log file (reads at most its last 64 KiB), or a note saying the file
 * is missing. For error messages that show why a server did not start.
 */
export async function readLogTail(file: string, lines = 20): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(file, 'r');
    const { size } = await handle.stat();
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    const text = buffer.toString('utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n') || '(the log is empty)';
  } catch {
    return `(no log at ${file})`;
  } finally {
    await handle?.close();
  }
}
