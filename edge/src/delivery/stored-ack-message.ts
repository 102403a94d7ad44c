import { type StoredAck, StoredAckSchema } from '../../../protocol/index.js';

/** A stored acknowledgement for this tower, or one line saying why the message is not one. Pure. */
export function parseStoredAck(
  payload: Buffer,
  towerId: string,
): { ok: true; ack: StoredAck } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, problem: 'stored acknowledgement is not JSON' };
  }
  const parsed = StoredAckSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map(String).join('.') || 'message';
    return { ok: false, problem: `stored acknowledgement ${field}: ${issue.message}` };
  }
  if (parsed.data.towerId !== towerId) {
    return {
      ok: false,
      problem: `stored acknowledgement for tower ${parsed.data.towerId} arrived at ${towerId}`,
    };
  }
  return { ok: true, ack: parsed.data };
}
