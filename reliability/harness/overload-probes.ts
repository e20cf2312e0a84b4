import { readFileSync } from 'node:fs';
import net from 'node:net';

/** Resident set size of `pid` in bytes (VmRSS of /proc/<pid>/status), or undefined. */
export function rssBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** Samples the RSS of a process every `intervalMs` until stopped. */
export class RssSampler {
  readonly samples: number[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(
    readonly pid: number | undefined,
    intervalMs = 100,
  ) {
    this.#take();
    this.#timer = setInterval(() => this.#take(), intervalMs);
  }

  #take(): void {
    const rss = rssBytes(this.pid);
    if (rss !== undefined) this.samples.push(rss);
  }

  stop(): { peak: number; samples: number } {
    clearInterval(this.#timer);
    this.#take();
    return { peak: Math.max(0, ...this.samples), samples: this.samples.length };
  }
}

/** How a slow client ended: cut off by the server (closed, or answered 408), or not. */
export interface SlowClientResult {
  kind: string;
  /** ms from connect to the server closing the socket (or its answer), undefined if never. */
  cutAfterMs: number | undefined;
  /** The status the server answered, if any (408 for a request timeout). */
  status: number | undefined;
  bytesSent: number;
  error: string | undefined;
}

/**
 * A slow client on its own socket: after `preamble`, writes `drip` one byte every `dripEveryMs`
 * (never finishing), or nothing at all. Resolves when the server closes the socket or answers,
 * or after `giveUpMs` (then `cutAfterMs` is undefined).
 */
export function slowClient(options: {
  host: string;
  port: number;
  kind: string;
  preamble: string;
  drip: string;
  dripEveryMs: number;
  giveUpMs: number;
}): Promise<SlowClientResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: options.host, port: options.port });
    let connectedAt = performance.now();
    let bytesSent = 0;
    let drip: NodeJS.Timeout | undefined;
    let done = false;
    const received: Buffer[] = [];
    const finish = (cut: boolean, error?: string) => {
      if (done) return;
      done = true;
      clearInterval(drip);
      clearTimeout(giveUp);
      const head = Buffer.concat(received).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1];
      socket.destroy();
      resolve({
        kind: options.kind,
        cutAfterMs: cut ? Math.round(performance.now() - connectedAt) : undefined,
        status: status === undefined ? undefined : Number(status),
        bytesSent,
        error,
      });
    };
    const giveUp = setTimeout(() => finish(false), options.giveUpMs);
    socket.on('connect', () => {
      connectedAt = performance.now();
      if (options.preamble.length > 0) {
        socket.write(options.preamble);
        bytesSent += Buffer.byteLength(options.preamble);
      }
      if (options.drip.length > 0) {
        let at = 0;
        drip = setInterval(() => {
          if (socket.destroyed || !socket.writable) return;
          socket.write(options.drip[at % options.drip.length] ?? ' ');
          bytesSent++;
          at++;
        }, options.dripEveryMs);
      }
    });
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      // An answer (e.g. 408) is a cut-off: the request will not be read further.
      finish(true);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (e: NodeJS.ErrnoException) => finish(true, e.code));
  });
}
