import type { LocalIot } from '../iot/index.js';
import type { LocalFleet } from './fleet.js';

export interface ChaosOptions {
  iot: LocalIot;
  fleet: LocalFleet;
  log: (line: string) => void;
  /** Mean pause between faults. */
  meanIntervalMs?: number;
  random?: () => number;
}

/**
 * `--chaos`: every so often either takes the broker down for a few seconds or stops a tower abruptly
 * and brings it back, so recovery (buffering, reconnect, redelivery without doubles) can be watched.
 */
export function startChaos(options: ChaosOptions): () => void {
  const random = options.random ?? Math.random;
  const mean = options.meanIntervalMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const fault = async () => {
    if (random() < 0.4) {
      const downMs = 3000 + Math.round(random() * 7000);
      options.log(`chaos: broker down for ${(downMs / 1000).toFixed(0)} s`);
      await options.iot.stop();
      await new Promise((r) => setTimeout(r, downMs));
      if (stopped) return;
      await options.iot.start();
      options.log('chaos: broker back');
    } else {
      const towerId = options.fleet.ids[Math.floor(random() * options.fleet.ids.length)]!;
      options.log(`chaos: killing ${towerId}`);
      await options.fleet.stop(towerId);
      await new Promise((r) => setTimeout(r, 2000 + Math.round(random() * 5000)));
      if (stopped) return;
      await options.fleet.start(towerId);
      options.log(`chaos: ${towerId} restarted`);
    }
  };

  const next = () => {
    timer = setTimeout(
      () => {
        fault()
          .catch((e: Error) => options.log(`chaos: ${e.message}`))
          .finally(() => {
            if (!stopped) next();
          });
      },
      mean / 2 + random() * mean,
    );
  };
  next();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
