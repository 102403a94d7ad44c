import type { LifecycleEvent } from '../../../protocol/index.js';
import { presenceTopic } from '../../../protocol/index.js';
import type { DisconnectReason } from '../types.js';

/** IoT Core's presence events on `$aws/events/presence/{connected,disconnected}/<clientId>`. */
export function connectedEvent(
  clientId: string,
  timestamp: number,
  principal: string,
  ipAddress: string | undefined,
  session: string,
): { topic: string; event: LifecycleEvent } {
  return {
    topic: presenceTopic('connected', clientId),
    event: {
      clientId,
      timestamp,
      eventType: 'connected',
      sessionIdentifier: session,
      principalIdentifier: principal,
      ...(ipAddress && { ipAddress }),
      versionNumber: 0,
    },
  };
}

export function disconnectedEvent(
  clientId: string,
  timestamp: number,
  principal: string,
  session: string,
  reason: DisconnectReason,
): { topic: string; event: LifecycleEvent } {
  return {
    topic: presenceTopic('disconnected', clientId),
    event: {
      clientId,
      timestamp,
      eventType: 'disconnected',
      sessionIdentifier: session,
      principalIdentifier: principal,
      clientInitiatedDisconnect: reason === 'CLIENT_INITIATED_DISCONNECT',
      disconnectReason: reason,
      versionNumber: 0,
    },
  };
}
