/**
 * Runs one fixed sequence of Greengrass IPC calls with the official client (aws-iot-device-sdk-v2 on
 * aws-crt) against the nucleus named by the environment, then exits. The conformance test compares
 * the frames it sends, and what it makes of the nucleus's messages, with the frames of towerwatch's own client making the same calls. It runs in
 * its own process: aws-crt's native code must not share a test worker.
 */
import ipcModule from 'aws-iot-device-sdk-v2/dist/greengrasscoreipc.js';
import type * as model from 'aws-iot-device-sdk-v2/dist/greengrasscoreipc/model.js';
import { IPC_PROBE } from './probe-sequence.js';

const client = ipcModule.createClient();
await client.connect();
await client.publishToIoTCore({
  topicName: IPC_PROBE.publishTopic,
  qos: '1' as model.QOS,
  payload: IPC_PROBE.publishPayload,
});
const iot = client.subscribeToIoTCore({ topicName: IPC_PROBE.subscribeTopic, qos: '1' as model.QOS });
const cloudMessage = new Promise<void>((resolve) =>
  iot.on('message', (event) => {
    const m = event.message!;
    console.log(`iot ${m.topicName} ${Buffer.from(m.payload as Buffer).toString()}`);
    resolve();
  }),
);
await iot.activate();
await cloudMessage;
await client
  .getThingShadow({ thingName: IPC_PROBE.thingName, shadowName: IPC_PROBE.missingShadow })
  .catch(() => undefined);
await client.updateThingShadow({
  thingName: IPC_PROBE.thingName,
  shadowName: IPC_PROBE.shadowName,
  payload: JSON.stringify(IPC_PROBE.shadowDocument),
});
await client.getConfiguration({ keyPath: [] });
await client.updateState({ state: 'RUNNING' as model.ReportedLifecycleState });
const local = client.subscribeToTopic({ topic: IPC_PROBE.localTopic });
const delta = new Promise<void>((resolve) =>
  local.on('message', (event) => {
    const m = event.binaryMessage!;
    console.log(`local ${m.context?.topic} ${Buffer.from(m.message as Buffer).toString()}`);
    resolve();
  }),
);
await local.activate();
await delta;
await client.close();
console.log('probe done');
