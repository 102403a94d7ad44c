import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { IOT, type PolicyScope } from '../../../protocol/index.js';
import type { Clock } from '../../../edge/src/ports.js';
import { BoundPolicy, type CompiledPolicy, type IotAction, resourceArn } from '../policy/index.js';
import type { RegistrationOutcome } from '../provisioning/index.js';
import type { RulesEngine } from '../rules/index.js';
import { parseShadowRequestTopic, type ShadowService } from '../shadow/index.js';
import type { DisconnectReason, LocalIotEvents, LocalIotStats } from '../types.js';
import {
  type TlsMaterial,
  certificateIdOf,
  certificateProblem,
  commonNameOf,
  type RegistryView,
} from './certs.js';
import { listen } from '../../listen.js';
import { connectedEvent, disconnectedEvent } from './lifecycle.js';

export interface BrokerDeps {
  tls: TlsMaterial;
  registry: RegistryView;
  policy: CompiledPolicy;
  scope: PolicyScope;
  shadows: ShadowService;
  rules: RulesEngine;
  clock: Clock;
  events: EventEmitter<LocalIotEvents>;
  stats: LocalIotStats;
  /** Called when a rotated-in certificate is first used, so its predecessor can be retired. */
  onSuccessorInUse?(certificateId: string): void;
  /**
   * Hook, in aedes style, for a certificate the registry does not list: IoT's just-in-time
   * registration. When it registers the certificate the connection is dropped and the device retries.
   */
  registerUnknown?(der: Buffer): RegistrationOutcome;
  /** The policy a certificate's sessions evaluate (what is attached to it); default `policy`. */
  policyFor?(certificateId: string): CompiledPolicy;
  /** The CA certificates to trust now; read again by `refreshTrust()` and on registry changes. */
  trustedCas?(): string[];
}

interface Session {
  clientId: string;
  certificateId: string;
  thingName: string;
  policy: BoundPolicy;
  sessionId: string;
  ready: boolean;
  reason?: DisconnectReason;
}

const NOT_AUTHORIZED = 5;

function refusal(message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: NOT_AUTHORIZED }) as AuthenticateError;
}

/**
 * The MQTT side of the local IoT Core: aedes over mutual TLS, with IoT Core's MQTT 3.1.1 policy
 * semantics (CONNECT refused, unauthorized PUBLISH disconnects, SUBSCRIBE gets 0x80, Receive
 * filtered on delivery) and the shadow service and rules engine fed from every accepted publish.
 */
export class MqttBroker {
  private aedes: Aedes | undefined;
  private server: Server | undefined;
  private readonly sessions = new WeakMap<Client, Session>();
  private readonly live = new Map<string, Client>();
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly deps: BrokerDeps) {}

  async start(host: string, port: number): Promise<number> {
    const aedes = new Aedes({ maxClientsIdLength: IOT.maxClientIdBytes, heartbeatInterval: 3_600_000 });
    await aedes.listen();
    aedes.authenticate = (client, _u, _p, done) => this.authenticate(client, done);
    aedes.authorizePublish = (client, packet, done) => done(this.authorizePublish(client, packet));
    aedes.authorizeSubscribe = (client, sub, done) => {
      const session = this.sessions.get(client);
      const allowed = session && this.decide(session, 'iot:Subscribe', sub.topic);
      if (!allowed) this.deps.stats.subscribesDenied++;
      done(null, allowed ? sub : null);
    };
    aedes.authorizeForward = (client, packet) => {
      if (packet.topic.startsWith('$aws/rules/')) return null;
      const session = this.sessions.get(client);
      if (session && this.decide(session, 'iot:Receive', packet.topic)) return packet;
      this.deps.stats.receivesDenied++;
      return null;
    };
    aedes.published = (packet, client, done) => {
      done();
      this.onPublished(packet, client);
    };
    aedes.on('clientReady', (client) => this.onReady(client));
    aedes.on('clientDisconnect', (client) => this.onDisconnect(client));
    aedes.on('keepaliveTimeout', (client) => {
      const s = this.sessions.get(client);
      if (s) s.reason ??= 'MQTT_KEEP_ALIVE_TIMEOUT';
    });
    aedes.on('clientError', () => {});
    aedes.on('connectionError', () => {});

    const { ca, cert, key } = this.deps.tls;
    // The chain and validity are checked here rather than by rejectUnauthorized so the refusal can
    // name its reason (expired, unknown CA); an unverified socket never reaches aedes.
    const server = createServer(
      { ca, cert, key, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' },
      (socket) => {
        if (socket.authorized) {
          aedes.handle(socket);
          return;
        }
        this.deps.stats.connectsRefused++;
        const reason = String(socket.authorizationError ?? 'no client certificate presented');
        this.deps.events.emit('denied', { action: 'tls', reason });
        socket.destroy();
      },
    );
    server.on('tlsClientError', (err) => {
      this.deps.stats.connectsRefused++;
      this.deps.events.emit('denied', { action: 'tls', reason: err.message });
    });
    await listen(server, port, host);
    this.aedes = aedes;
    this.server = server;
    this.deps.registry.watch(() => {
      this.refreshTrust();
      this.dropInvalidSessions();
    });
    const address = server.address();
    if (typeof address !== 'object' || !address) throw new Error('MQTT server has no address');
    return address.port;
  }

  async stop(): Promise<void> {
    const { aedes, server } = this;
    this.aedes = undefined;
    this.server = undefined;
    this.deps.registry.close();
    for (const client of this.live.values()) {
      const s = this.sessions.get(client);
      if (s) s.reason ??= 'SERVER_SHUTDOWN';
    }
    await Promise.all([
      server && new Promise<void>((resolve) => server.close(() => resolve())),
      aedes && new Promise<void>((resolve) => aedes.close(() => resolve())),
    ]);
    await Promise.allSettled([...this.pending]);
  }

  /**
   * Trusts the CAs `trustedCas` lists from the next handshake on (a CA registered or deactivated while
   * running); open connections keep the context they were made with.
   */
  refreshTrust(): void {
    if (!this.server || !this.deps.trustedCas) return;
    let ca: string[];
    try {
      ca = this.deps.trustedCas();
    } catch {
      return; // a half-written registry: keep the CAs trusted so far
    }
    const { cert, key } = this.deps.tls;
    this.server.setSecureContext({ ca, cert, key, minVersion: 'TLSv1.2' });
  }

  /** Publishes on behalf of the service (data plane, shadow replies, republish): rules see it too. */
  publish(topic: string, payload: Buffer, qos: 0 | 1 = 0, retain = false): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) return Promise.reject(new Error('the local IoT broker is stopped'));
    return new Promise((resolve, reject) =>
      aedes.publish({ cmd: 'publish', topic, payload, qos, retain, dup: false }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }

  disconnect(clientId: string, reason: DisconnectReason = 'SERVER_INITIATED_DISCONNECT'): boolean {
    const client = this.live.get(clientId);
    if (!client) return false;
    const s = this.sessions.get(client);
    if (s) s.reason ??= reason;
    client.close();
    return true;
  }

  /** Resolves once every rule action started so far has finished. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private decide(session: Session, action: IotAction, name: string): boolean {
    const resource = resourceArn(this.deps.scope, action, name);
    const decision = session.policy.decide(action, resource);
    if (decision === 'Allow') return true;
    this.deps.events.emit('denied', { clientId: session.clientId, action, resource, reason: decision });
    return false;
  }

  private authenticate(client: Client, done: (err: AuthenticateError | null, ok: boolean | null) => void) {
    const refuse = (reason: string, action: 'certificate' | IotAction = 'certificate') => {
      this.deps.stats.connectsRefused++;
      this.deps.events.emit('denied', { clientId: client.id, action, reason });
      done(refusal(reason), null);
    };
    const peer = (client.conn as TLSSocket).getPeerCertificate?.();
    if (!peer?.raw) return refuse('no client certificate presented');
    const certificateId = certificateIdOf(peer.raw);
    const entry = this.deps.registry.find(certificateId);
    if (!entry && this.deps.registerUnknown) {
      let outcome: RegistrationOutcome;
      try {
        outcome = this.deps.registerUnknown(peer.raw);
      } catch (e) {
        return refuse(`just-in-time registration failed: ${(e as Error).message}`);
      }
      if (outcome.kind === 'registered') {
        // IoT closes the connection that triggered the registration, without a CONNACK.
        (client.conn as TLSSocket).destroy();
        const detail = outcome.reason ? `: ${outcome.reason}` : '';
        return refuse(`certificate registered just in time, now ${outcome.status}${detail}; reconnect`);
      }
      return refuse(outcome.reason);
    }
    const problem = certificateProblem(entry, this.deps.clock.now());
    if (problem || !entry?.towerId) return refuse(problem ?? 'certificate is attached to no thing');

    // IoT resolves the thing by client id: the thing variables exist only when the client id names
    // a thing attached to this certificate.
    const attached = client.id === entry.towerId;
    const cn = commonNameOf(peer.raw);
    const session: Session = {
      clientId: client.id,
      certificateId,
      thingName: entry.towerId,
      policy: new BoundPolicy(this.deps.policyFor?.(certificateId) ?? this.deps.policy, {
        clientId: client.id,
        isAttached: attached,
        ...(attached && { thingName: entry.towerId }),
        ...(cn !== undefined && { certificateCommonName: cn }),
      }),
      sessionId: randomUUID(),
      ready: false,
    };
    if (!this.decide(session, 'iot:Connect', client.id)) {
      this.deps.stats.connectsRefused++;
      return done(refusal(`client id ${client.id} is not allowed to connect with this certificate`), null);
    }
    const previous = this.live.get(client.id);
    if (previous) {
      const s = this.sessions.get(previous);
      if (s) s.reason = 'DUPLICATE_CLIENTID';
    }
    this.sessions.set(client, session);
    if (entry.replaces && this.deps.registry.find(entry.replaces)?.status === 'ACTIVE') {
      this.deps.onSuccessorInUse?.(certificateId);
    }
    done(null, true);
  }

  private authorizePublish(client: Client | null, packet: PublishPacket): Error | null {
    if (!client) return null;
    const session = this.sessions.get(client);
    if (!session) return new Error('publish before CONNECT was authorised');
    /** `payloadReason` is announced here; a policy denial was already announced by `decide`. */
    const deny = (error: string, payloadReason?: string): Error => {
      this.deps.stats.publishesDenied++;
      session.reason = 'AUTHORIZATION_ERROR';
      if (payloadReason) {
        this.deps.events.emit('denied', {
          clientId: session.clientId,
          action: 'payload',
          resource: packet.topic,
          reason: payloadReason,
        });
      }
      return new Error(error);
    };
    if (packet.qos === 2) {
      return deny('QoS 2 is not supported', 'QoS 2 is not supported by IoT Core (publish with QoS 0 or 1)');
    }
    const bytes = packet.payload.length;
    if (bytes > IOT.maxPayloadBytes) {
      return deny(
        'payload too large',
        `payload of ${bytes} bytes exceeds the ${IOT.maxPayloadBytes}-byte limit`,
      );
    }
    if (this.decide(session, 'iot:Publish', packet.topic)) return null;
    return deny(`not authorized to publish to ${packet.topic}`);
  }

  private onReady(client: Client): void {
    const session = this.sessions.get(client);
    if (!session) return;
    session.ready = true;
    this.live.set(client.id, client);
    this.deps.stats.connects++;
    this.deps.stats.connected = this.live.size;
    this.deps.events.emit('connect', {
      clientId: session.clientId,
      certificateId: session.certificateId,
      thingName: session.thingName,
    });
    const address = (client.conn as TLSSocket).remoteAddress;
    const { topic, event } = connectedEvent(
      session.clientId,
      this.deps.clock.now(),
      session.certificateId,
      address,
      session.sessionId,
    );
    this.publish(topic, Buffer.from(JSON.stringify(event)), 1).catch(() => {});
    // A registry reload between this CONNECT's lookup and now found no live session to drop (the
    // session was not live yet), and the watcher sees no change after it: look again.
    this.dropIfInvalid(session);
  }

  private onDisconnect(client: Client): void {
    const session = this.sessions.get(client);
    if (!session?.ready) return;
    if (this.live.get(client.id) === client) this.live.delete(client.id);
    this.deps.stats.disconnects++;
    this.deps.stats.connected = this.live.size;
    const wasClean = (client as unknown as { _disconnected: boolean })._disconnected;
    const reason = session.reason ?? (wasClean ? 'CLIENT_INITIATED_DISCONNECT' : 'CONNECTION_LOST');
    this.deps.events.emit('disconnect', { clientId: session.clientId, reason });
    if (!this.aedes) return;
    const { topic, event } = disconnectedEvent(
      session.clientId,
      this.deps.clock.now(),
      session.certificateId,
      session.sessionId,
      reason,
    );
    this.publish(topic, Buffer.from(JSON.stringify(event)), 1).catch(() => {});
  }

  private dropInvalidSessions(): void {
    for (const client of [...this.live.values()]) {
      const session = this.sessions.get(client);
      if (session) this.dropIfInvalid(session);
    }
  }

  private dropIfInvalid(session: Session): void {
    const problem = certificateProblem(this.deps.registry.find(session.certificateId), this.deps.clock.now());
    if (!problem) return;
    this.deps.events.emit('denied', { clientId: session.clientId, action: 'certificate', reason: problem });
    this.disconnect(session.clientId, 'AUTHORIZATION_ERROR');
  }

  private onPublished(packet: PublishPacket, client: Client | null): void {
    if (packet.topic.startsWith('$SYS/')) return;
    const session = client ? this.sessions.get(client) : undefined;
    if (client) this.deps.stats.publishesIn++;
    this.deps.events.emit('publish', {
      ...(session && { clientId: session.clientId }),
      topic: packet.topic,
      qos: packet.qos,
      bytes: packet.payload.length,
    });
    const shadow = parseShadowRequestTopic(packet.topic);
    if (shadow) {
      this.deps.stats.shadowRequests++;
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      const result = this.deps.shadows.execute(shadow.op, shadow.key, payload, 'mqtt');
      for (const reply of result.replies) this.publish(reply.topic, reply.payload, 0).catch(() => {});
    }
    const task = this.deps.rules
      .dispatch({
        topic: packet.topic,
        payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
        ...(session && { clientId: session.clientId, principal: session.certificateId }),
        receivedAt: this.deps.clock.now(),
      })
      .catch(() => {});
    this.pending.add(task);
    task.finally(() => this.pending.delete(task));
  }
}
