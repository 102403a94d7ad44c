export { type BackoffOptions, backoffDelayMs, DEFAULT_BACKOFF } from './backoff.js';
export { ConnectionLostError, TransportConfigError } from './errors.js';
export { MemoryTransport, type PublishedMessage } from './memory/index.js';
export { MqttTransport, type MqttTransportOptions, mqttOptionsFromPaths } from './mqtt/index.js';
export { toShadowDocument } from './shadow-document.js';
export { TopicConfigShadow } from './topic-shadow.js';
export * from './types.js';
