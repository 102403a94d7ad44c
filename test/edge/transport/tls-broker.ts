import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { Aedes } from 'aedes';
import { initCa, issueDeviceCertificate, issueServerCertificate } from '../../../certs-tool/index.js';

export interface ReceivedPublish {
  clientId: string;
  topic: string;
  payload: Buffer;
}

export interface TlsBroker {
  port: number;
  url: string;
  received: ReceivedPublish[];
  /** Stops accepting and cuts every client, keeping the port for `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  publish(topic: string, payload: string): Promise<void>;
  stop(): Promise<void>;
}

/** Certificates from certs-tool: a fleet CA, a loopback server certificate and one device identity per tower. */
export async function issueTestIdentities(dir: string, towerIds: string[]) {
  await initCa(dir);
  const server = await issueServerCertificate(dir, ['localhost', '127.0.0.1']);
  const devices = Object.fromEntries(
    await Promise.all(towerIds.map(async (id) => [id, await issueDeviceCertificate(dir, id)] as const)),
  );
  return { server, devices };
}

/**
 * An MQTT 3.1.1 broker (aedes) behind node:tls on 127.0.0.1 that demands a client certificate from
 * the fleet CA and lets a client connect only with its certificate's CN as client id.
 */
export async function startTlsBroker(server: {
  certPath: string;
  keyPath: string;
  caPath: string;
}): Promise<TlsBroker> {
  const broker = await Aedes.createBroker();
  const received: ReceivedPublish[] = [];
  broker.authenticate = (client, _user, _pass, done) => {
    const socket = (client as unknown as { conn: TLSSocket }).conn;
    const cn = socket.getPeerCertificate?.()?.subject?.CN;
    done(null, cn === client.id);
  };
  broker.on('publish', (packet, client) => {
    if (client)
      received.push({ clientId: client.id, topic: packet.topic, payload: Buffer.from(packet.payload) });
  });
  const options = {
    cert: readFileSync(server.certPath),
    key: readFileSync(server.keyPath),
    ca: readFileSync(server.caPath),
    requestCert: true,
    rejectUnauthorized: true,
  };
  let tls: Server | null = null;
  const sockets = new Set<TLSSocket>();
  let port = 0;
  const up = async () => {
    tls = createServer(options, (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      broker.handle(socket);
    });
    tls.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => tls!.listen(port, '127.0.0.1', resolve));
    port = (tls.address() as AddressInfo).port;
  };
  const down = async () => {
    const closing = new Promise<void>((resolve) => (tls ? tls.close(() => resolve()) : resolve()));
    for (const s of sockets) s.destroy();
    await closing;
    tls = null;
  };
  await up();
  return {
    port,
    url: `mqtts://127.0.0.1:${port}`,
    received,
    down,
    up,
    publish: (topic, payload) =>
      new Promise((resolve, reject) =>
        broker.publish(
          { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: false, dup: false },
          (e) => (e ? reject(e) : resolve()),
        ),
      ),
    stop: async () => {
      await down();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
