import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listen } from '../listen.js';

/** Listens on 127.0.0.1 with a free port and returns the endpoint URL. */
export async function listenLoopback(server: Server): Promise<string> {
  await listen(server, 0, '127.0.0.1');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}
