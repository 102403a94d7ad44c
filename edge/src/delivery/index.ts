export { Delivery, type DeliveryOptions } from './delivery.js';
export { buildMessage, bundleEnvelopeBytes } from './messages.js';
export { buildStatus } from './status.js';
export { TokenBucket } from './token-bucket.js';
export * from './types.js';
