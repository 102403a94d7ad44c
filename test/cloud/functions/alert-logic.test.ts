import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatNotification, towerOfflineAlert } from '../../../cloud/functions/alert-notifier/message.js';
import { decide, NO_EPISODE } from '../../../cloud/functions/alert-notifier/suppression.js';
import type { SuppressionState } from '../../../cloud/functions/alert-notifier/types.js';
import { thingNameOfClientId } from '../../../cloud/functions/shared/records.js';
import { alert, T0 } from './fixtures.js';

const WINDOW = 600_000;

describe('suppression decisions', () => {
  it('a flapping signal inside the window notifies one raise and holds one clear, whatever the flap count', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: WINDOW / 20 }), { minLength: 1, maxLength: 20 }),
        (gaps) => {
          let state: SuppressionState = NO_EPISODE;
          let at = T0;
          const actions: string[] = [];
          gaps.forEach((gap, i) => {
            for (const s of ['raise', 'clear'] as const) {
              at += gap;
              const d = decide(state, alert('t1', `a-${i}`, s, at), at, WINDOW);
              actions.push(`${d.action}:${s}`);
              state = d.next;
            }
          });
          expect(actions.filter((a) => a === 'notify:raise')).toHaveLength(1);
          expect(actions.filter((a) => a.startsWith('notify:clear'))).toHaveLength(0);
          expect(state.pendingClear?.alert).toMatchObject({ alertId: 'a-0', state: 'clear' });
          expect(state.pendingClear?.dueAt).toBe(at + WINDOW);
        },
      ),
    );
  });

  it('notifies a new raise after the episode ended, and an escalation at once', () => {
    const first = decide(NO_EPISODE, alert('t1', 'a', 'raise', T0, { severity: 'warning' }), T0, WINDOW);
    expect(first.action).toBe('notify');
    const escalated = decide(
      first.next,
      alert('t1', 'b', 'raise', T0 + 1, { severity: 'critical' }),
      T0 + 1,
      WINDOW,
    );
    expect(escalated.action).toBe('notify');
    const same = decide(
      escalated.next,
      alert('t1', 'c', 'raise', T0 + 2, { severity: 'warning' }),
      T0 + 2,
      WINDOW,
    );
    expect(same.action).toBe('suppress');
    const later = decide(NO_EPISODE, alert('t1', 'd', 'raise', T0 + 2 * WINDOW), T0 + 2 * WINDOW, WINDOW);
    expect(later.action).toBe('notify');
  });

  it('with no window every transition is sent at once; a clear of an unseen raise is sent', () => {
    const raised = decide(NO_EPISODE, alert('t1', 'a', 'raise', T0), T0, 0);
    const cleared = decide(raised.next, alert('t1', 'a', 'clear', T0 + 1), T0 + 1, 0);
    expect([raised.action, cleared.action]).toEqual(['notify', 'notify']);
    expect(decide(NO_EPISODE, alert('t1', 'z', 'clear', T0), T0, WINDOW).action).toBe('notify');
  });
});

describe('notification text', () => {
  it('keeps the subject within SNS rules (printable ASCII, <= 100 characters)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/), fc.string(), (sensorId, message) => {
        const n = formatNotification(
          alert('t'.repeat(64), 'a', 'raise', T0, { sensorId, message: message.slice(0, 256) }),
        );
        expect(n.subject.length).toBeLessThanOrEqual(100);
        expect(n.subject).toMatch(/^[\x20-\x7e]+$/);
        expect(n.attributes.sensor!.StringValue).toBe(sensorId);
      }),
    );
  });

  it('describes tower-offline in words', () => {
    const n = formatNotification(towerOfflineAlert('t1', T0, 300_000, 'raise'));
    expect(n.subject).toBe('[CRITICAL] t1 tower-offline raised');
    expect(n.message).toBe(
      `Tower t1: tower-offline (critical) raised at ${new Date(T0).toISOString()}.\nNo reconnect within 300 s of the disconnect.\nAlert id: tower-offline:t1:${T0}`,
    );
  });

  it('maps Greengrass client ids to the thing name', () => {
    expect(thingNameOfClientId('tower-1#2')).toBe('tower-1');
    expect(thingNameOfClientId('tower-1')).toBe('tower-1');
  });
});
