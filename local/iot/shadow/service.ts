import type { Clock } from '../../../edge/src/ports.js';
import { ShadowRequestError } from '../errors.js';
import { deleteShadow, getShadow, parseRequest, rejection, updateShadow } from './core.js';
import type { JsonObject, ShadowKey, ShadowOutcome, ShadowStore } from './types.js';

export type ShadowOperation = 'get' | 'update' | 'delete';

export interface ShadowReply {
  topic: string;
  payload: Buffer;
}

export type ShadowResult =
  | { ok: true; accepted: JsonObject; replies: ShadowReply[] }
  | { ok: false; error: ShadowRequestError; replies: ShadowReply[] };

const REQUEST_TOPIC =
  /^\$aws\/things\/([A-Za-z0-9:_-]{1,128})\/shadow(?:\/name\/([A-Za-z0-9:_-]{1,64}))?\/(get|update|delete)$/;

export function parseShadowRequestTopic(topic: string): { key: ShadowKey; op: ShadowOperation } | undefined {
  const m = REQUEST_TOPIC.exec(topic);
  if (!m) return undefined;
  return {
    key: { thingName: m[1]!, ...(m[2] !== undefined && { shadowName: m[2] }) },
    op: m[3] as ShadowOperation,
  };
}

export function shadowPrefix(key: ShadowKey): string {
  return `$aws/things/${key.thingName}/shadow${key.shadowName === undefined ? '' : `/name/${key.shadowName}`}`;
}

const toPayload = (body: JsonObject) => Buffer.from(JSON.stringify(body), 'utf8');

function clientTokenOf(body: Buffer): string | undefined {
  try {
    const token = parseRequest(body, true).clientToken;
    return token;
  } catch {
    return undefined;
  }
}

/** The Device Shadow service: one entry for MQTT requests and the data-plane HTTP API alike. */
export class ShadowService {
  constructor(
    private readonly store: ShadowStore,
    private readonly clock: Clock,
  ) {}

  /**
   * Runs one operation. `replies` are the MQTT messages it produces: the `/accepted` or
   * `/rejected` answer (only when asked over MQTT) and the `/documents` and `/delta` broadcasts.
   */
  execute(op: ShadowOperation, key: ShadowKey, body: Buffer, via: 'mqtt' | 'http'): ShadowResult {
    const prefix = `${shadowPrefix(key)}/${op}`;
    const nowSec = Math.floor(this.clock.now() / 1000);
    const name = key.shadowName ?? key.thingName;
    const replies: ShadowReply[] = [];
    try {
      const stored = this.store.load(key);
      let outcome: ShadowOutcome;
      if (op === 'get') {
        outcome = getShadow(stored, body, nowSec, name);
      } else {
        const result =
          op === 'update' ? updateShadow(stored, body, nowSec) : deleteShadow(stored, body, nowSec, name);
        this.store.save(key, result.stored);
        outcome = result.outcome;
      }
      replies.push({ topic: `${prefix}/accepted`, payload: toPayload(outcome.accepted) });
      if (outcome.documents)
        replies.push({ topic: `${prefix}/documents`, payload: toPayload(outcome.documents) });
      if (outcome.delta) replies.push({ topic: `${prefix}/delta`, payload: toPayload(outcome.delta) });
      return { ok: true, accepted: outcome.accepted, replies };
    } catch (e) {
      if (!(e instanceof ShadowRequestError)) throw e;
      if (via === 'mqtt') {
        replies.push({
          topic: `${prefix}/rejected`,
          payload: toPayload(rejection(e, clientTokenOf(body), nowSec)),
        });
      }
      return { ok: false, error: e, replies };
    }
  }

  listNamed(thingName: string): string[] {
    return this.store.list(thingName);
  }
}
