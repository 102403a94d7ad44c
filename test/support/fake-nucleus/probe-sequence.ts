/** The arguments of the IPC call sequence both clients make in the wire-format conformance test. */
export const IPC_PROBE = {
  publishTopic: 'dt/towerwatch/tower-probe/alert',
  publishPayload: '{"probe":1}',
  subscribeTopic: 'cmd/towerwatch/tower-probe/ping',
  thingName: 'tower-probe',
  missingShadow: 'absent',
  shadowName: 'config',
  shadowDocument: { state: { reported: { statusIntervalMs: 5000 } } },
  localTopic: '$aws/things/tower-probe/shadow/name/config/update/delta',
  cloudPayload: '{"ping":"from the cloud"}',
  desired: { statusIntervalMs: 7000 },
} as const;
