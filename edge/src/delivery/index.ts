export { alertHeadroom, bundleBytes, Delivery, type DeliveryOptions } from './delivery.js';
export { buildMessage, bundleEnvelopeBytes } from './messages.js';
export { buildStatus } from './status.js';
export { SlidingWindowLimiter } from './rate-window.js';
export * from './types.js';
