import type { EdgeConfig } from '../../../protocol/index.js';
import {
  MqttTransport,
  mqttOptionsFromPaths,
  type Transport,
  TransportConfigError,
} from '../transport/index.js';
import { IpcTransport, NUCLEUS_SOCKET_ENV } from '../transport/ipc/index.js';

export function runsUnderGreengrass(env: Record<string, string | undefined>): boolean {
  return Boolean(env[NUCLEUS_SOCKET_ENV]);
}

/** `transport.kind`: `ipc` under Greengrass, `mqtt` for direct MQTT, `auto` picks by the nucleus socket variable. */
export async function createTransport(
  config: EdgeConfig,
  env: Record<string, string | undefined> = process.env,
): Promise<Transport> {
  const kind =
    config.transport.kind === 'auto' ? (runsUnderGreengrass(env) ? 'ipc' : 'mqtt') : config.transport.kind;
  if (kind === 'ipc') {
    if (!runsUnderGreengrass(env)) {
      throw new TransportConfigError(
        `transport.kind is ipc but ${NUCLEUS_SOCKET_ENV} is not set`,
        'transport.kind',
        'run under Greengrass, or set transport.kind to mqtt with endpoint and certificate paths',
      );
    }
    return new IpcTransport();
  }
  return new MqttTransport(mqttOptionsFromPaths({ towerId: config.towerId, ...config.transport }));
}
