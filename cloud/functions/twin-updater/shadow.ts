import {
  GetThingShadowCommand,
  type IoTDataPlaneClient,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import { SHADOW_NAMES, type TwinState, TwinStateSchema } from '../../../protocol/index.js';

export interface ShadowRead {
  reported: TwinState | null;
  version: number | undefined;
}

/** Reads the `twin` shadow; a missing shadow or a reported state of an unknown shape reads as empty. */
export async function readTwinShadow(iot: IoTDataPlaneClient, towerId: string): Promise<ShadowRead> {
  try {
    const out = await iot.send(
      new GetThingShadowCommand({ thingName: towerId, shadowName: SHADOW_NAMES.twin }),
    );
    const doc = JSON.parse(Buffer.from(out.payload ?? new Uint8Array()).toString('utf8')) as {
      state?: { reported?: unknown };
      version?: number;
    };
    const parsed = TwinStateSchema.safeParse(doc.state?.reported);
    return { reported: parsed.success ? parsed.data : null, version: doc.version };
  } catch (e) {
    if ((e as Error).name === 'ResourceNotFoundException') return { reported: null, version: undefined };
    throw e;
  }
}

/** Writes `state.reported` conditioned on the version last read (409 ConflictException when it moved). */
export async function writeTwinShadow(
  iot: IoTDataPlaneClient,
  towerId: string,
  reported: Record<string, unknown>,
  version: number | undefined,
): Promise<number | undefined> {
  const payload = JSON.stringify({ state: { reported }, ...(version !== undefined && { version }) });
  const out = await iot.send(
    new UpdateThingShadowCommand({
      thingName: towerId,
      shadowName: SHADOW_NAMES.twin,
      payload: Buffer.from(payload),
    }),
  );
  if (!out.payload) return version === undefined ? undefined : version + 1;
  const doc = JSON.parse(Buffer.from(out.payload).toString('utf8')) as { version?: number };
  return doc.version;
}
