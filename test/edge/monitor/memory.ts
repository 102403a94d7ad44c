import type { Alert, TelemetryBatch } from '../../../protocol/index.js';
import type { ConfigShadowPort, SequenceSource, ShadowDocument, Sink } from '../../../edge/src/ports.js';

/** Records what the sensing half hands to delivery, in arrival order. */
export class MemorySink implements Sink {
  readonly batches: TelemetryBatch[] = [];
  readonly alerts: Alert[] = [];
  /** 'b' for a batch, 'a' for an alert, in call order. */
  readonly order: string[] = [];
  failTelemetry = false;

  telemetry(batch: TelemetryBatch): Promise<void> {
    this.order.push('b');
    if (this.failTelemetry) return Promise.reject(new Error('disk full'));
    this.batches.push(batch);
    return Promise.resolve();
  }

  alert(alert: Alert): Promise<void> {
    this.order.push('a');
    this.alerts.push(alert);
    return Promise.resolve();
  }
}

export function counterSeq(start = 0): SequenceSource {
  let n = start;
  return { next: () => ++n };
}

/** The named shadow `config` as a broker would keep it: desired set by operators, reported merged with null-deletes. */
export class MemoryShadow implements ConfigShadowPort {
  desired: Record<string, unknown> | null = null;
  reported: Record<string, unknown> | null = null;
  version = 0;
  offline = false;
  readonly reports: Record<string, unknown>[] = [];
  private listeners = new Set<(doc: ShadowDocument) => void>();

  get(): Promise<ShadowDocument | null> {
    if (this.offline) return Promise.reject(new Error('not connected'));
    return Promise.resolve(this.version ? this.doc() : null);
  }

  subscribe(listener: (doc: ShadowDocument) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  report(reported: Record<string, unknown>): Promise<void> {
    if (this.offline) return Promise.reject(new Error('not connected'));
    this.reports.push(reported);
    this.reported = merge(this.reported ?? {}, reported);
    this.version++;
    return Promise.resolve();
  }

  /** An operator sets the whole desired document. */
  setDesired(desired: Record<string, unknown> | null): void {
    this.desired = desired;
    this.version++;
    const doc = this.doc();
    for (const l of this.listeners) l(doc);
  }

  private doc(): ShadowDocument {
    return {
      desired: structuredClone(this.desired),
      reported: structuredClone(this.reported),
      version: this.version,
    };
  }
}

function merge(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof out[k] === 'object' && out[k] !== null) {
      out[k] = merge(out[k] as Record<string, unknown>, v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}
