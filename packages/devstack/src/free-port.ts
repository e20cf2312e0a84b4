import { createServer } from 'node:net';
import { DevstackError } from './errors.js';

/** The interface every local server binds to. */
export const LOCAL_HOST = '127.0.0.1';

/**
 * Asks the OS for `count` distinct free TCP ports on 127.0.0.1 (listen on port 0, read the port,
 * close). All sockets stay open until every port is known, so the ports differ from each other.
 */
export async function findFreePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, LOCAL_HOST, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    return address.port;
  });
  await Promise.all(
    servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
  return ports;
}

/** Resolves whether something can listen on `port` at 127.0.0.1 right now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: LOCAL_HOST, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/**
 * Throws a {@link DevstackError} naming the port, the server that wanted it and the environment
 * variable that moves it, when `port` is already taken.
 */
export async function assertPortFree(port: number, what: string, envVar: string): Promise<void> {
  if (await isPortFree(port)) return;
  throw new DevstackError(`${what} cannot listen on ${LOCAL_HOST}:${port}: the port is in use.`, {
    hint:
      `Stop whatever listens on port ${port} (perhaps an earlier \`npm start\`), or choose ` +
      `another port with ${envVar}=<port>.`,
  });
}
