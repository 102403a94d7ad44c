import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  isTowerId,
  ROLLUP_RESOLUTION_NAMES,
  ROLLUP_RESOLUTIONS,
  type RollupResolution,
  SENSOR_ID_PATTERN,
} from '../../protocol/index.js';
import type { StatusSource } from './types.js';

export interface StatusServerOptions {
  source: StatusSource;
  host?: string;
  port?: number;
  /** How often a snapshot is pushed to each open page. */
  pushIntervalMs?: number;
}

export interface StatusServer {
  url: string;
  stop(): Promise<void>;
}

const PAGE = readFileSync(join(import.meta.dirname, 'page.html'), 'utf8');
const MAX_BODY_BYTES = 4096;

/** The status page: one static HTML file, server-sent events for live updates, one POST for config changes. */
export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const { source } = options;
  const streams = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => sendJson(res, 500, { error: e.message }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(PAGE);
    } else if (req.method === 'GET' && url.pathname === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      streams.add(res);
      push(res);
      req.on('close', () => streams.delete(res));
    } else if (req.method === 'GET' && url.pathname === '/api/snapshot') {
      sendJson(res, 200, source.snapshot());
    } else if (req.method === 'GET' && url.pathname === '/api/rollups') {
      await sendRollups(url, res);
    } else if (req.method === 'POST' && url.pathname === '/api/config') {
      const body = await readJson(req);
      const { towerId, path, value } = body as { towerId?: unknown; path?: unknown; value?: unknown };
      if (
        typeof towerId !== 'string' ||
        typeof path !== 'string' ||
        typeof value !== 'number' ||
        !Number.isFinite(value)
      ) {
        sendJson(res, 400, {
          error: 'body must be {"towerId": string, "path": string, "value": finite number}',
        });
        return;
      }
      try {
        sendJson(res, 200, await source.setConfig(towerId, path, value));
      } catch (e) {
        sendJson(res, 400, { error: (e as Error).message });
      }
    } else {
      sendJson(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    }
  }

  /** `?tower=&sensor=&resolution=1m|1h&hours=24`: the chart's buckets, oldest first. */
  async function sendRollups(url: URL, res: ServerResponse): Promise<void> {
    const towerId = url.searchParams.get('tower') ?? '';
    const sensorId = url.searchParams.get('sensor');
    const resolution = url.searchParams.get('resolution') ?? '1m';
    const hours = Number(url.searchParams.get('hours') ?? '24');
    if (!isTowerId(towerId)) return sendJson(res, 400, { error: 'tower must be a tower id' });
    if (sensorId !== null && !SENSOR_ID_PATTERN.test(sensorId)) {
      return sendJson(res, 400, { error: 'sensor must be a sensor id' });
    }
    if (!(resolution in ROLLUP_RESOLUTIONS)) {
      return sendJson(res, 400, { error: `resolution must be ${ROLLUP_RESOLUTION_NAMES.join(' or ')}` });
    }
    if (!(Number.isFinite(hours) && hours > 0 && hours <= 24 * 31)) {
      return sendJson(res, 400, { error: 'hours must be a number of hours, at most 744' });
    }
    if (!source.rollups) return sendJson(res, 404, { error: 'this stack keeps no archive' });
    const now = Date.now();
    const rows = await source.rollups({
      towerId,
      resolution: resolution as RollupResolution,
      fromMs: now - hours * 3_600_000,
      toMs: now + 1,
      ...(sensorId !== null && { sensorId }),
    });
    sendJson(res, 200, { resolution, rows });
  }

  function push(res: ServerResponse): void {
    res.write(`event: snapshot\ndata: ${JSON.stringify(source.snapshot())}\n\n`);
  }

  const timer = setInterval(() => {
    for (const res of streams) push(res);
  }, options.pushIntervalMs ?? 1000);
  timer.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    async stop() {
      clearInterval(timer);
      for (const res of streams) res.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return {};
  }
}
