import { isMainThread, parentPort, type Worker, workerData } from 'node:worker_threads';
import { startTypeScriptWorker } from '../../local/worker.js';
import { type FleetOptions, LocalFleet } from '../../local/stack/fleet.js';

/**
 * Simulated towers in a worker thread: real towers are other machines, so a benchmark that ran
 * them on the system's own event loop would measure the load generator, not the pipeline.
 */
type Request =
  | { type: 'inject'; towerId: string; value: number; durationMs: number }
  | { type: 'drain' }
  | { type: 'stop' };
type Reply =
  | { type: 'ready' }
  | { type: 'injected'; towerId: string; at: number }
  | { type: 'drained'; sampled: Record<string, number>; unconfirmedMaxAgeMs: number; leftInBuffers: number }
  | { type: 'stopped' }
  | { type: 'error'; message: string };

/**
 * A buffer empties only when the cloud's stored acknowledgement names its batches; a cloud that
 * sends none would keep the drain waiting for ever (the edge re-sends every `confirmTimeoutMs`).
 */
const DRAIN_TIMEOUT_MS = 120_000;

export class RemoteFleet {
  private readonly listeners = new Set<(reply: Reply) => void>();

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: Reply) => {
      for (const l of this.listeners) l(reply);
    });
  }

  static async start(options: FleetOptions): Promise<RemoteFleet> {
    const fleet = new RemoteFleet(startTypeScriptWorker(import.meta.url, options));
    await fleet.next('ready');
    return fleet;
  }

  private next<T extends Reply['type']>(type: T): Promise<Extract<Reply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const listener = (reply: Reply) => {
        if (reply.type === 'error') reject(new Error(reply.message));
        else if (reply.type === type) resolve(reply as Extract<Reply, { type: T }>);
        else return;
        this.listeners.delete(listener);
      };
      this.listeners.add(listener);
    });
  }

  /** Injects a temperature spike; `onInjected` gets the time it was applied on the tower. */
  inject(towerId: string, value: number, durationMs: number, onInjected: (at: number) => void): void {
    const listener = (reply: Reply) => {
      if (reply.type === 'injected' && reply.towerId === towerId) {
        this.listeners.delete(listener);
        onInjected(reply.at);
      }
    };
    this.listeners.add(listener);
    this.worker.postMessage({ type: 'inject', towerId, value, durationMs } satisfies Request);
  }

  /**
   * Stops sampling and waits until every buffer is delivered and confirmed stored, at most
   * `DRAIN_TIMEOUT_MS`; returns readings sampled per tower, the longest any tower held a PUBACK'd
   * batch unconfirmed during the run, and the batches still buffered if the drain gave up.
   */
  async drain(): Promise<{
    sampled: Record<string, number>;
    unconfirmedMaxAgeMs: number;
    leftInBuffers: number;
  }> {
    const reply = this.next('drained');
    this.worker.postMessage({ type: 'drain' } satisfies Request);
    const { sampled, unconfirmedMaxAgeMs, leftInBuffers } = await reply;
    return { sampled, unconfirmedMaxAgeMs, leftInBuffers };
  }

  async stop(): Promise<void> {
    const reply = this.next('stopped');
    this.worker.postMessage({ type: 'stop' } satisfies Request);
    await reply;
    await this.worker.terminate();
  }
}

async function runWorker(options: FleetOptions): Promise<void> {
  const port = parentPort!;
  const send = (reply: Reply) => port.postMessage(reply);
  const fleet = new LocalFleet(options);
  await fleet.startAll();
  while (!fleet.running().every((t) => t.stats().connected)) await new Promise((r) => setTimeout(r, 50));
  // Sampled, not exact: the age of the oldest unconfirmed batch only grows until its acknowledgement.
  let unconfirmedMaxAgeMs = 0;
  const ageTimer = setInterval(() => {
    const now = Date.now();
    for (const t of fleet.running()) {
      const oldest = t.delivery.stats().unconfirmed.oldestDeliveredAt;
      if (oldest !== null) unconfirmedMaxAgeMs = Math.max(unconfirmedMaxAgeMs, now - oldest);
    }
  }, 100);
  ageTimer.unref();
  port.on('message', (request: Request) => {
    (async () => {
      if (request.type === 'inject') {
        fleet.get(request.towerId)?.monitor.simulator?.inject('temp-cabinet', {
          kind: 'spike',
          value: request.value,
          durationMs: request.durationMs,
        });
        send({ type: 'injected', towerId: request.towerId, at: Date.now() });
      } else if (request.type === 'drain') {
        await Promise.all(fleet.running().map((t) => t.monitor.stop()));
        const left = () => fleet.running().reduce((n, t) => n + t.stats().buffer.depthMessages, 0);
        const deadline = Date.now() + DRAIN_TIMEOUT_MS;
        while (left() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        send({
          type: 'drained',
          sampled: Object.fromEntries(fleet.running().map((t) => [t.towerId, t.monitor.stats().readings])),
          unconfirmedMaxAgeMs,
          leftInBuffers: left(),
        });
      } else {
        clearInterval(ageTimer);
        await fleet.stopAll();
        send({ type: 'stopped' });
      }
    })().catch((e: Error) => send({ type: 'error', message: e.message }));
  });
  send({ type: 'ready' });
}

if (!isMainThread) await runWorker(workerData as FleetOptions);
