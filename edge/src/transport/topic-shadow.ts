import { randomUUID } from 'node:crypto';
import { SHADOW_NAMES, shadowTopic } from '../../../protocol/index.js';
import type { ConfigShadowPort, ShadowDocument } from '../ports.js';
import { parseJsonObject, toShadowDocument } from './shadow-document.js';
import type { Transport } from './types.js';

const REQUEST_TIMEOUT_MS = 15_000;

type Reply = { accepted: boolean; body: Record<string, unknown> };

/**
 * The named shadow `config` over the reserved MQTT shadow topics, using only the topics the tower
 * policy allows (`…/config/{get,update}` and their replies). Requests carry a clientToken so
 * concurrent replies are matched to their request.
 */
export class TopicConfigShadow implements ConfigShadowPort {
  private readonly waiting = new Map<string, (reply: Reply) => void>();
  private readonly listeners = new Set<(doc: ShadowDocument) => void>();
  private ready: Promise<void> | null = null;

  constructor(
    private readonly transport: Transport,
    private readonly thingName: string,
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {
    transport.onConnectionChange((connected) => {
      if (connected && this.listeners.size) void this.refresh();
    });
  }

  private topic(op: 'get' | 'update', reply?: 'accepted' | 'rejected' | 'delta'): string {
    return shadowTopic(this.thingName, SHADOW_NAMES.config, op, reply);
  }

  private subscribeReplies(): Promise<void> {
    this.ready ??= (async () => {
      for (const op of ['get', 'update'] as const) {
        for (const reply of ['accepted', 'rejected'] as const) {
          await this.transport.subscribe(this.topic(op, reply), ({ payload }) => {
            const body = parseJsonObject(payload);
            const token = typeof body?.clientToken === 'string' ? body.clientToken : undefined;
            if (body && token) this.waiting.get(token)?.({ accepted: reply === 'accepted', body });
          });
        }
      }
      await this.transport.subscribe(this.topic('update', 'delta'), () => void this.refresh());
    })();
    return this.ready;
  }

  private async request(op: 'get' | 'update', body: Record<string, unknown>): Promise<Reply> {
    await this.subscribeReplies();
    const clientToken = randomUUID();
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(clientToken);
        reject(new Error(`shadow ${op} of ${this.thingName}/config timed out after ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting.set(clientToken, (reply) => {
        clearTimeout(timer);
        this.waiting.delete(clientToken);
        resolve(reply);
      });
      this.transport.publish(this.topic(op), JSON.stringify({ ...body, clientToken })).catch((e: Error) => {
        clearTimeout(timer);
        this.waiting.delete(clientToken);
        reject(e);
      });
    });
  }

  async get(): Promise<ShadowDocument | null> {
    const reply = await this.request('get', {});
    if (reply.accepted) return toShadowDocument(reply.body);
    if (reply.body.code === 404) return null;
    throw new Error(`shadow get rejected: ${String(reply.body.code)} ${String(reply.body.message ?? '')}`);
  }

  subscribe(listener: (doc: ShadowDocument) => void): () => void {
    this.listeners.add(listener);
    void this.subscribeReplies().then(async () => {
      if (this.transport.connected) await this.refresh();
    });
    return () => this.listeners.delete(listener);
  }

  async report(reported: Record<string, unknown>): Promise<void> {
    const reply = await this.request('update', { state: { reported } });
    if (!reply.accepted) {
      throw new Error(
        `shadow update rejected: ${String(reply.body.code)} ${String(reply.body.message ?? '')}`,
      );
    }
  }

  /** A delta carries only the difference; listeners get the whole document, so fetch it. */
  private async refresh(): Promise<void> {
    try {
      const doc = await this.get();
      if (doc) for (const l of this.listeners) l(doc);
    } catch {
      // The next delta or reconnect refreshes again; a lost refresh leaves the last applied config in force.
    }
  }
}
