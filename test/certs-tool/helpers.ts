import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { certificateId, Registry } from '../../certs-tool/index.js';

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `towerwatch-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface Identity {
  certPath: string;
  keyPath: string;
  caPath: string;
}

export interface MtlsServer {
  port: number;
  /** certificate ids the server let through (TLS handshake and registry check both passed) */
  accepted: string[];
  close(): Promise<void>;
}

/**
 * A TLS server the way the local broker checks towers: the handshake demands a client certificate from
 * one of `trustedCaPaths`, then the registry in `registryDir` must list it as ACTIVE.
 */
export async function startMtlsServer(
  server: Identity,
  trustedCaPaths: string[],
  registryDir: string,
): Promise<MtlsServer> {
  const accepted: string[] = [];
  const srv = tls.createServer(
    {
      key: readFileSync(server.keyPath),
      cert: readFileSync(server.certPath),
      ca: trustedCaPaths.map((p) => readFileSync(p)),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket) => {
      const id = certificateId(socket.getPeerCertificate().raw);
      if (!Registry.load(registryDir).isActive(id)) {
        socket.end('refused: certificate not active in the registry\n');
        return;
      }
      accepted.push(id);
      socket.end('welcome\n');
    },
  );
  srv.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    port: (srv.address() as AddressInfo).port,
    accepted,
    close: () => new Promise<void>((resolve) => srv.close(() => resolve())),
  };
}

/** Connect with a client identity; resolves with what the server said, or the TLS error. */
export function connectWith(
  port: number,
  client: Identity,
  serverCaPath: string,
): Promise<{ accepted: boolean; detail: string }> {
  return new Promise((resolve) => {
    let data = '';
    let settled = false;
    const done = (accepted: boolean, detail: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ accepted, detail });
    };
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: readFileSync(serverCaPath),
      cert: readFileSync(client.certPath),
      key: readFileSync(client.keyPath),
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('end', () => done(data === 'welcome\n', data.trim() || 'closed without a reply'));
    socket.on('close', () => done(data === 'welcome\n', data.trim() || 'closed without a reply'));
    socket.on('error', (e) => done(false, e.message));
  });
}
