import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { IOT, validateTopicName } from '../../../protocol/index.js';
import { listen } from '../../listen.js';
import {
  ControlPlaneError,
  type ControlPlaneReply,
  type ControlPlaneRequest,
} from '../provisioning/index.js';
import type { ShadowKey, ShadowReply, ShadowService } from '../shadow/index.js';

/** What the data plane needs from the broker: a way to put messages on the bus. */
export interface DataPlaneDeps {
  shadows: ShadowService;
  publish(topic: string, payload: Buffer, qos: 0 | 1, retain: boolean): Promise<void>;
  /** The control-plane routes served on the same port; undefined means "not one of mine". */
  control?(req: ControlPlaneRequest): Promise<ControlPlaneReply | undefined>;
}

const ERROR_TYPES = {
  400: 'InvalidRequestException',
  404: 'ResourceNotFoundException',
  405: 'MethodNotAllowedException',
  409: 'ConflictException',
  413: 'RequestEntityTooLargeException',
  500: 'InternalFailureException',
} as const;
type ErrorStatus = keyof typeof ERROR_TYPES;

class HttpError extends Error {
  constructor(
    readonly status: ErrorStatus,
    message: string,
  ) {
    super(message);
  }
}

/** A CA, its proof and a template body fit well within this. */
const CONTROL_PLANE_MAX_BODY_BYTES = 64 * 1024;
const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const SHADOW_NAME = /^[a-zA-Z0-9:_-]{1,64}$/;

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpError(413, 'The payload exceeds the maximum size allowed');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(
  res: ServerResponse,
  e: { status: number; message: string },
  type: string = ERROR_TYPES[e.status as ErrorStatus],
): void {
  const text = JSON.stringify({ message: e.message, traceId: randomUUID() });
  res.writeHead(e.status, {
    'content-type': 'application/json',
    'x-amzn-ErrorType': type,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function decode(segment: string, what: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `${what} is not valid URL encoding`);
  }
}

/**
 * The IoT data-plane REST API (the routes `@aws-sdk/client-iot-data-plane` calls), so code that
 * runs against AWS runs here unchanged with only `endpoint` set. Signatures are not checked.
 */
export class DataPlaneServer {
  private server: Server | undefined;

  constructor(private readonly deps: DataPlaneDeps) {}

  async start(host: string, port: number): Promise<number> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((e: unknown) => {
        if (e instanceof ControlPlaneError) return sendError(res, e, e.type);
        sendError(res, e instanceof HttpError ? e : new HttpError(500, (e as Error).message));
      });
    });
    await listen(server, port, host);
    this.server = server;
    const address = server.address();
    if (typeof address !== 'object' || !address) throw new Error('data-plane server has no address');
    return address.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const parts = url.pathname.split('/').slice(1);
    if (parts[0] === 'things' && parts[2] === 'shadow' && parts.length === 3) {
      return this.shadow(req, res, decode(parts[1]!, 'thingName'), url.searchParams.get('name'));
    }
    if (url.pathname.startsWith('/api/things/shadow/ListNamedShadowsForThing/') && parts.length === 5) {
      const thingName = decode(parts[4]!, 'thingName');
      if (!THING_NAME.test(thingName)) throw new HttpError(400, `invalid thingName ${thingName}`);
      return send(res, 200, {
        results: this.deps.shadows.listNamed(thingName),
        timestamp: Math.floor(Date.now() / 1000),
      });
    }
    if (parts[0] === 'topics' && parts.length >= 2) {
      if (req.method !== 'POST') throw new HttpError(405, 'use POST to publish');
      return this.publish(req, res, decode(parts.slice(1).join('/'), 'topic'), url.searchParams);
    }
    const reply = await this.deps.control?.({
      method: req.method ?? 'GET',
      url,
      body: () => readBody(req, CONTROL_PLANE_MAX_BODY_BYTES),
    });
    if (reply) return send(res, reply.status, reply.body);
    throw new HttpError(404, `no such data-plane route: ${req.method} ${url.pathname}`);
  }

  private async shadow(
    req: IncomingMessage,
    res: ServerResponse,
    thingName: string,
    shadowName: string | null,
  ) {
    if (!THING_NAME.test(thingName)) {
      throw new HttpError(
        400,
        `invalid thingName ${JSON.stringify(thingName)}: use 1-128 of a-z A-Z 0-9 : _ -`,
      );
    }
    if (shadowName !== null && !SHADOW_NAME.test(shadowName)) {
      throw new HttpError(
        400,
        `invalid shadow name ${JSON.stringify(shadowName)}: use 1-64 of a-z A-Z 0-9 : _ -`,
      );
    }
    const key: ShadowKey = { thingName, ...(shadowName !== null && { shadowName }) };
    const op = ({ GET: 'get', POST: 'update', DELETE: 'delete' } as const)[req.method as 'GET'];
    if (!op) throw new HttpError(405, `${req.method} is not a shadow operation (use GET, POST or DELETE)`);
    const body = await readBody(req, IOT.maxShadowDocumentBytes);
    const result = this.deps.shadows.execute(op, key, body, 'http');
    await this.broadcast(result.replies);
    if (!result.ok) throw new HttpError(result.error.code, result.error.message);
    send(res, 200, result.accepted);
  }

  private async broadcast(replies: ShadowReply[]): Promise<void> {
    await Promise.all(replies.map((r) => this.deps.publish(r.topic, r.payload, 0, false).catch(() => {})));
  }

  private async publish(req: IncomingMessage, res: ServerResponse, topic: string, query: URLSearchParams) {
    try {
      validateTopicName(topic);
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
    const qosText = query.get('qos') ?? '0';
    if (qosText !== '0' && qosText !== '1') throw new HttpError(400, `qos must be 0 or 1, got ${qosText}`);
    const body = await readBody(req, IOT.maxPayloadBytes);
    await this.deps.publish(topic, body, qosText === '1' ? 1 : 0, query.get('retain') === 'true');
    send(res, 200);
  }
}
