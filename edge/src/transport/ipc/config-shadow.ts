import { SHADOW_NAMES, shadowTopic } from '../../../../protocol/index.js';
import type { ConfigShadowPort, ShadowDocument } from '../../ports.js';
import { parseJsonObject, toShadowDocument } from '../shadow-document.js';
import type { IpcTransport } from './transport.js';

/**
 * The `config` shadow through ShadowManager: Get/UpdateThingShadow over IPC, and the delta that
 * ShadowManager publishes on local pub/sub (`…/shadow/name/config/update/delta`).
 */
export class IpcConfigShadow implements ConfigShadowPort {
  private readonly listeners = new Set<(doc: ShadowDocument) => void>();
  private subscribed: Promise<void> | null = null;

  constructor(
    private readonly transport: IpcTransport,
    private readonly thingName: string,
  ) {
    transport.onConnectionChange((connected) => {
      if (connected && this.listeners.size) void this.refresh();
    });
  }

  async get(): Promise<ShadowDocument | null> {
    const payload = await this.transport.getThingShadow(this.thingName, SHADOW_NAMES.config);
    if (!payload) return null;
    return toShadowDocument(parseJsonObject(payload));
  }

  subscribe(listener: (doc: ShadowDocument) => void): () => void {
    this.listeners.add(listener);
    this.subscribed ??= this.transport.subscribeLocal(
      shadowTopic(this.thingName, SHADOW_NAMES.config, 'update', 'delta'),
      () => void this.refresh(),
    );
    void this.subscribed.then(async () => {
      if (this.transport.connected) await this.refresh();
    });
    return () => this.listeners.delete(listener);
  }

  report(reported: Record<string, unknown>): Promise<void> {
    return this.transport.updateThingShadow(this.thingName, SHADOW_NAMES.config, { state: { reported } });
  }

  private async refresh(): Promise<void> {
    try {
      const doc = await this.get();
      if (doc) for (const l of this.listeners) l(doc);
    } catch {
      // The next delta or reconnect refreshes again; the config in force stays until then.
    }
  }
}
