import type { PipelineCounters } from '../status/types.js';

const n = (v: number) => Math.round(v).toLocaleString('en-US');

/** One line of the live terminal summary. */
export function summaryLine(c: PipelineCounters, towers: number, elapsedMs: number): string {
  const s = Math.floor(elapsedMs / 1000);
  const clock = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  return [
    `[${clock}] towers ${c.towersOnline}/${towers} online`,
    `readings/s in ${n(c.readingsInPerSec)} stored ${n(c.readingsStoredPerSec)} (${n(c.readingsStored)} total)`,
    `alerts ${c.alertsRaised} raised ${c.alertsNotified} notified${c.alertsSuppressed ? ` (${c.alertsSuppressed} held back as repeats)` : ''}`,
    `stream lag ${n(c.streamLagMs)} ms`,
    `backlog ${n(c.backlogMessages)} msgs`,
    ...(c.quarantined ? [`quarantined ${c.quarantined}`] : []),
  ].join(' · ');
}
