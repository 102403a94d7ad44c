import type { Server } from 'node:net';

/** Resolves once `server` listens; rejects with the error (port in use, bad host) that stopped it. */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
