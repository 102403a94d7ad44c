import type { ShadowDocument } from '../ports.js';

/** Shadow service documents (get/accepted, GetThingShadow) reduced to what the sensing half needs. */
export function toShadowDocument(raw: unknown): ShadowDocument {
  const doc = (typeof raw === 'object' && raw !== null ? raw : {}) as {
    state?: { desired?: unknown; reported?: unknown };
    version?: unknown;
  };
  const section = (v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  return {
    desired: section(doc.state?.desired),
    reported: section(doc.state?.reported),
    version: typeof doc.version === 'number' ? doc.version : 0,
  };
}

export function parseJsonObject(payload: Buffer | string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(payload.toString());
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
