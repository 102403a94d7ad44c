import { InvalidTopicError } from './errors.js';
import { assertTowerId, isTowerId } from './ids.js';
import { IOT } from './limits.js';

/** Topic layout after the AWS "Designing MQTT topics for AWS IoT Core" whitepaper: <dt|cmd>/<app>/<thing>/<type>. */
export const APP = 'towerwatch' as const;
export const DEVICE_MESSAGE_TYPES = ['telemetry', 'alert', 'status'] as const;
export type DeviceMessageType = (typeof DEVICE_MESSAGE_TYPES)[number];

export const SHADOW_NAMES = { config: 'config', twin: 'twin' } as const;
export type ShadowOperation = 'get' | 'update' | 'delete';
export type ShadowReply = 'accepted' | 'rejected' | 'delta' | 'documents';

export const TOPIC_FILTERS = {
  telemetry: `dt/${APP}/+/telemetry`,
  alert: `dt/${APP}/+/alert`,
  status: `dt/${APP}/+/status`,
  allDeviceData: `dt/${APP}/+/+`,
  presence: '$aws/events/presence/+/+',
} as const;

export function deviceTopic(towerId: string, type: DeviceMessageType): string {
  return `dt/${APP}/${assertTowerId(towerId)}/${type}`;
}

export function commandTopic(towerId: string, command: string): string {
  if (!/^[A-Za-z0-9_-]{1,32}(\/[A-Za-z0-9_-]{1,32})?$/.test(command)) {
    throw new InvalidTopicError(
      `invalid command ${JSON.stringify(command)}`,
      'command',
      'use 1-2 levels of A-Z a-z 0-9 _ -',
    );
  }
  return validateTopicName(`cmd/${APP}/${assertTowerId(towerId)}/${command}`);
}

/** `$aws/things/<thing>/shadow[/name/<name>]` — the classic shadow when `shadowName` is undefined. */
export function shadowTopicPrefix(thingName: string, shadowName?: string): string {
  const base = `$aws/things/${assertTowerId(thingName, 'thingName')}/shadow`;
  if (shadowName === undefined) return base;
  if (!/^[A-Za-z0-9:_-]{1,64}$/.test(shadowName)) {
    throw new InvalidTopicError(
      `invalid shadow name ${JSON.stringify(shadowName)}`,
      'shadowName',
      'use 1-64 characters of A-Z a-z 0-9 : _ -',
    );
  }
  return `${base}/name/${shadowName}`;
}

export function shadowTopic(
  thingName: string,
  shadowName: string | undefined,
  op: ShadowOperation,
  reply?: ShadowReply,
): string {
  if (reply === 'delta' || reply === 'documents') {
    if (op !== 'update') throw new InvalidTopicError(`/${reply} exists only under update`, 'reply');
  }
  return `${shadowTopicPrefix(thingName, shadowName)}/${op}${reply ? `/${reply}` : ''}`;
}

export function presenceTopic(event: 'connected' | 'disconnected', clientId: string): string {
  return `$aws/events/presence/${event}/${clientId}`;
}

export type ParsedTopic =
  | { kind: 'device'; towerId: string; type: DeviceMessageType }
  | { kind: 'command'; towerId: string; command: string }
  | { kind: 'shadow'; thingName: string; shadowName?: string; op: ShadowOperation; reply?: ShadowReply }
  | { kind: 'presence'; event: 'connected' | 'disconnected'; clientId: string };

/** Parses any topic towerwatch uses; throws InvalidTopicError for anything else. */
export function parseTopic(topic: string): ParsedTopic {
  validateTopicName(topic);
  const p = topic.split('/');
  if ((p[0] === 'dt' || p[0] === 'cmd') && p[1] === APP && p.length >= 4) {
    const towerId = p[2]!;
    if (!isTowerId(towerId)) throw new InvalidTopicError(`invalid tower id in topic ${topic}`, 'topic');
    if (p[0] === 'dt') {
      const type = p[3] as DeviceMessageType;
      if (p.length !== 4 || !DEVICE_MESSAGE_TYPES.includes(type)) {
        throw new InvalidTopicError(
          `unknown device message type in topic ${topic}`,
          'topic',
          `use one of ${DEVICE_MESSAGE_TYPES.join(', ')}`,
        );
      }
      return { kind: 'device', towerId, type };
    }
    return { kind: 'command', towerId, command: p.slice(3).join('/') };
  }
  if (p[0] === '$aws' && p[1] === 'things' && p[3] === 'shadow') {
    const thingName = p[2]!;
    let rest = p.slice(4);
    let shadowName: string | undefined;
    if (rest[0] === 'name') {
      shadowName = rest[1];
      rest = rest.slice(2);
    }
    const op = rest[0] as ShadowOperation;
    const reply = rest[1] as ShadowReply | undefined;
    const ops: readonly string[] = ['get', 'update', 'delete'];
    const replies: readonly string[] = ['accepted', 'rejected', 'delta', 'documents'];
    if (
      isTowerId(thingName) &&
      ops.includes(op) &&
      rest.length <= 2 &&
      (reply === undefined || replies.includes(reply))
    ) {
      return {
        kind: 'shadow',
        thingName,
        ...(shadowName !== undefined && { shadowName }),
        op,
        ...(reply && { reply }),
      };
    }
  }
  if (p[0] === '$aws' && p[1] === 'events' && p[2] === 'presence' && p.length === 5) {
    const event = p[3];
    if (event === 'connected' || event === 'disconnected')
      return { kind: 'presence', event, clientId: p[4]! };
  }
  throw new InvalidTopicError(`not a towerwatch topic: ${topic}`, 'topic');
}

/** Checks a topic *name* (what a publish goes to): no wildcards, within the AWS length and depth limits. */
export function validateTopicName(topic: string): string {
  if (topic.length === 0) throw new InvalidTopicError('topic is empty', 'topic');
  if (/[+#]/.test(topic) || topic.includes('\0')) {
    throw new InvalidTopicError(
      `topic ${JSON.stringify(topic)} contains a wildcard or NUL`,
      'topic',
      'publish to a concrete topic',
    );
  }
  if (Buffer.byteLength(topic, 'utf8') > IOT.maxTopicBytes) {
    throw new InvalidTopicError(`topic is longer than ${IOT.maxTopicBytes} bytes`, 'topic');
  }
  const reserved = topic.startsWith('$aws/') ? 3 : 0;
  const slashes = (topic.match(/\//g) ?? []).length - reserved;
  if (slashes > IOT.maxTopicSlashes) {
    throw new InvalidTopicError(
      `topic has ${slashes} slashes, IoT Core allows ${IOT.maxTopicSlashes}`,
      'topic',
    );
  }
  return topic;
}

/** Checks a topic *filter* (what a subscription or rule names): `+` whole levels only, `#` only last. */
export function validateTopicFilter(filter: string): string {
  if (filter.length === 0) throw new InvalidTopicError('topic filter is empty', 'topicFilter');
  if (Buffer.byteLength(filter, 'utf8') > IOT.maxTopicBytes) {
    throw new InvalidTopicError(`topic filter is longer than ${IOT.maxTopicBytes} bytes`, 'topicFilter');
  }
  const levels = filter.split('/');
  levels.forEach((level, i) => {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      throw new InvalidTopicError(`'#' must be the whole last level in ${filter}`, 'topicFilter');
    }
    if (level.includes('+') && level !== '+') {
      throw new InvalidTopicError(`'+' must be a whole level in ${filter}`, 'topicFilter');
    }
  });
  return filter;
}

/** MQTT topic-filter match (`+` one level, `#` the rest, including the parent level). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return !(i === 0 && t[0]?.startsWith('$') && !filter.startsWith('$'));
    if (i >= t.length) return false;
    if (level === '+') {
      if (i === 0 && t[0]!.startsWith('$')) return false;
      continue;
    }
    if (level !== t[i]) return false;
  }
  return f.length === t.length;
}
