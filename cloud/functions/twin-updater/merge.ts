import { SCHEMA_VERSION, type TwinState } from '../../../protocol/index.js';
import type { Observation } from './types.js';

export function emptyTwin(towerId: string, now: number): TwinState {
  return {
    schema: SCHEMA_VERSION,
    towerId,
    lastSeenAt: null,
    connectivity: { online: false, since: null, lastDisconnectReason: null, clientId: null },
    latest: {},
    activeAlerts: {},
    buffer: null,
    updatedAt: now,
  };
}

function seen(state: TwinState, at: number): void {
  state.lastSeenAt = Math.max(state.lastSeenAt ?? 0, at);
  // Data from the tower proves it is connected even if its connect event was lost or is late.
  if (!state.connectivity.online && at > (state.connectivity.since ?? 0)) {
    state.connectivity = { ...state.connectivity, online: true, since: at };
  }
}

/** Applies one observation; pure apart from mutating the copy it returns. Order-tolerant by timestamps. */
export function applyObservation(current: TwinState, obs: Observation): TwinState {
  const state: TwinState = structuredClone(current);
  switch (obs.kind) {
    case 'telemetry': {
      seen(state, obs.receivedAt);
      if (obs.clockDrift) break;
      for (const batch of obs.batches) {
        for (const r of batch.readings) {
          const sensorId = batch.sensors[r[0]]!;
          const time = batch.t0 + r[1];
          const have = state.latest[sensorId];
          if (have && have.time >= time) continue;
          state.latest[sensorId] = {
            value: r[2],
            time,
            ...(r[3] !== undefined && { quality: r[3] === 1 ? ('uncertain' as const) : ('bad' as const) }),
          };
        }
      }
      break;
    }
    case 'alert': {
      seen(state, obs.receivedAt);
      const { alert } = obs;
      if (alert.state === 'clear') delete state.activeAlerts[alert.alertId];
      else {
        state.activeAlerts[alert.alertId] = {
          rule: alert.rule,
          sensorId: alert.sensorId,
          severity: alert.severity,
          since: alert.time,
          value: alert.value,
        };
      }
      break;
    }
    case 'status': {
      seen(state, obs.receivedAt);
      const { status } = obs;
      state.buffer = {
        depthBytes: status.buffer.depthBytes,
        depthMessages: status.buffer.depthMessages,
        droppedReadings: status.drops.readings,
      };
      break;
    }
    case 'lifecycle': {
      const { event } = obs;
      const since = state.connectivity.since ?? 0;
      if (event.eventType === 'connected') {
        if (event.timestamp >= since) {
          state.connectivity = {
            online: true,
            since: event.timestamp,
            lastDisconnectReason: null,
            clientId: event.clientId,
          };
        }
      } else if (event.timestamp >= since) {
        // Greengrass reconnects as `<thing>#<n>`: the old session's disconnect can arrive after the new
        // session's connect, and must not take the tower offline.
        const current = state.connectivity.clientId;
        if (!current || current === event.clientId) {
          state.connectivity = {
            online: false,
            since: event.timestamp,
            lastDisconnectReason: event.disconnectReason ?? null,
            clientId: event.clientId,
          };
        }
      }
      break;
    }
  }
  return state;
}

const withoutStamp = (s: TwinState) => ({ ...s, updatedAt: 0 });

export function twinEquals(a: TwinState, b: TwinState): boolean {
  return JSON.stringify(withoutStamp(a)) === JSON.stringify(withoutStamp(b));
}

export type PublishDecision = 'skip' | 'defer' | 'publish';

/**
 * Shadow updates are billed per 1 KB and limited per thing: publish at once when alerts or
 * connectivity changed, otherwise at most once per `minIntervalMs`; never publish a no-op.
 */
export function decidePublish(
  published: TwinState | null,
  next: TwinState,
  now: number,
  minIntervalMs: number,
): PublishDecision {
  if (!published) return 'publish';
  if (twinEquals(published, next)) return 'skip';
  const alertIds = (s: TwinState) => Object.keys(s.activeAlerts).sort().join(',');
  if (alertIds(published) !== alertIds(next) || published.connectivity.online !== next.connectivity.online)
    return 'publish';
  return now - published.updatedAt >= minIntervalMs ? 'publish' : 'defer';
}

/**
 * The `state.reported` to send: the whole twin, with alerts that ended set to null (a shadow update
 * merges maps, so a key absent from the update would stay).
 */
export function reportedDocument(published: TwinState | null, next: TwinState): Record<string, unknown> {
  const activeAlerts: Record<string, unknown> = { ...next.activeAlerts };
  for (const id of Object.keys(published?.activeAlerts ?? {}))
    if (!(id in next.activeAlerts)) activeAlerts[id] = null;
  return { ...next, activeAlerts };
}

/**
 * A shadow document is limited to 8 KB: when the update would not fit, the oldest latest values are
 * left out of it (the shadow keeps what it had for them; DynamoDB's latest-state item has them all).
 */
export function fitShadowLimit(
  reported: Record<string, unknown>,
  maxBytes: number,
): { reported: Record<string, unknown>; dropped: number } {
  const size = (r: Record<string, unknown>) =>
    Buffer.byteLength(JSON.stringify({ state: { reported: r }, version: 0 }));
  if (size(reported) <= maxBytes) return { reported, dropped: 0 };
  const latest = { ...(reported.latest as TwinState['latest']) };
  const oldestFirst = Object.entries(latest).sort((a, b) => a[1].time - b[1].time);
  let dropped = 0;
  let trimmed = { ...reported, latest };
  for (const [sensorId] of oldestFirst) {
    if (size(trimmed) <= maxBytes) break;
    delete latest[sensorId];
    dropped++;
    trimmed = { ...reported, latest };
  }
  return { reported: trimmed, dropped };
}
