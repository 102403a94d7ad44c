import * as z from 'zod';

/** IoT Core lifecycle event, as published on $aws/events/presence/{connected,disconnected}/<clientId>. */
export const LifecycleEventSchema = z.object({
  clientId: z.string().min(1),
  timestamp: z.number().int(),
  eventType: z.enum(['connected', 'disconnected']),
  sessionIdentifier: z.string().optional(),
  principalIdentifier: z.string().optional(),
  clientInitiatedDisconnect: z.boolean().optional(),
  disconnectReason: z.string().optional(),
  ipAddress: z.string().optional(),
  versionNumber: z.number().int().optional(),
});
export type LifecycleEvent = z.infer<typeof LifecycleEventSchema>;
