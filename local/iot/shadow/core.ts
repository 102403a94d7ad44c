import { isDeepStrictEqual } from 'node:util';
import { IOT } from '../../../protocol/index.js';
import { ShadowRequestError } from '../errors.js';
import type { JsonObject, ShadowOutcome, ShadowState, StoredShadow } from './types.js';

/**
 * The Device Shadow service's document rules as pure functions (written by hand: no maintained
 * package implements shadow semantics). Times are epoch seconds, as in IoT shadow documents.
 */
export const SHADOW_LIMITS = {
  maxDocumentBytes: IOT.maxShadowDocumentBytes,
  maxDepth: 8,
  maxClientTokenBytes: 64,
} as const;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

interface ShadowRequest {
  clientToken?: string;
  version?: number;
  state?: unknown;
}

/** Parses a request body; an empty body is allowed for get and delete. */
export function parseRequest(body: Buffer, allowEmpty: boolean): ShadowRequest {
  if (body.length > SHADOW_LIMITS.maxDocumentBytes) {
    throw new ShadowRequestError(413, 'The payload exceeds the maximum size allowed');
  }
  if (body.length === 0 && allowEmpty) return {};
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ShadowRequestError(400, 'Payload contains invalid json');
  }
  if (!isObject(json)) throw new ShadowRequestError(400, 'Payload contains invalid json');
  const req: ShadowRequest = {};
  if (json.clientToken !== undefined) {
    if (typeof json.clientToken !== 'string')
      throw new ShadowRequestError(400, 'clientToken must be a string');
    if (Buffer.byteLength(json.clientToken) > SHADOW_LIMITS.maxClientTokenBytes) {
      throw new ShadowRequestError(400, `clientToken exceeds ${SHADOW_LIMITS.maxClientTokenBytes} bytes`);
    }
    req.clientToken = json.clientToken;
  }
  if (json.version !== undefined) {
    if (!Number.isInteger(json.version))
      throw new ShadowRequestError(400, 'Invalid version: must be an integer');
    req.version = json.version as number;
  }
  if ('state' in json) req.state = json.state;
  return req;
}

function depth(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depth));
  if (isObject(v)) return 1 + Math.max(0, ...Object.values(v).map(depth));
  return 0;
}

function validateState(state: unknown): { desired?: JsonObject | null; reported?: JsonObject | null } {
  if (state === undefined) throw new ShadowRequestError(400, 'Missing required node: state');
  if (!isObject(state))
    throw new ShadowRequestError(400, 'Invalid JSON type for node state: expected an object');
  for (const [key, value] of Object.entries(state)) {
    if (key !== 'desired' && key !== 'reported') {
      throw new ShadowRequestError(400, `State contains an invalid node: '${key}'`);
    }
    if (value !== null && !isObject(value)) {
      throw new ShadowRequestError(400, `Invalid JSON type for node ${key}: expected an object or null`);
    }
    if (depth(value) > SHADOW_LIMITS.maxDepth) {
      throw new ShadowRequestError(
        400,
        `JSON contains too many levels of nesting; maximum is ${SHADOW_LIMITS.maxDepth}`,
      );
    }
  }
  return state as { desired?: JsonObject | null; reported?: JsonObject | null };
}

/** Deep merge where null removes a key and arrays are replaced whole. */
function merge(base: JsonObject | undefined, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isObject(v) && isObject(out[k])) out[k] = merge(out[k] as JsonObject, v);
    else out[k] = v;
  }
  return out;
}

/** Metadata mirrors the patch: a `{timestamp}` per leaf (and per array element). */
function metadataFor(v: unknown, timestamp: number): unknown {
  if (isObject(v))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, metadataFor(x, timestamp)]));
  if (Array.isArray(v)) return v.map((x) => metadataFor(x, timestamp));
  return { timestamp };
}

function mergeMetadata(base: JsonObject | undefined, patch: JsonObject, timestamp: number): JsonObject {
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isObject(v) && isObject(out[k])) out[k] = mergeMetadata(out[k] as JsonObject, v, timestamp);
    else out[k] = metadataFor(v, timestamp);
  }
  return out;
}

/** The desired values that reported does not (yet) match, nested objects compared key by key. */
export function computeDelta(desired: JsonObject | undefined, reported: JsonObject | undefined): JsonObject {
  const delta: JsonObject = {};
  for (const [k, want] of Object.entries(desired ?? {})) {
    const have = reported?.[k];
    if (isObject(want) && isObject(have)) {
      const inner = computeDelta(want, have);
      if (Object.keys(inner).length > 0) delta[k] = inner;
    } else if (!isDeepStrictEqual(want, have)) {
      delta[k] = want;
    }
  }
  return delta;
}

/** Picks the metadata entries for the keys present in `shape`. */
function metadataSubset(metadata: JsonObject | undefined, shape: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(shape)) {
    const m = metadata?.[k];
    if (m === undefined) continue;
    out[k] = isObject(v) && isObject(m) && !('timestamp' in m) ? metadataSubset(m, v) : m;
  }
  return out;
}

const nonEmpty = (o: JsonObject | undefined) => (o && Object.keys(o).length > 0 ? o : undefined);

function compact(s: ShadowState | undefined): ShadowState {
  const desired = nonEmpty(s?.desired);
  const reported = nonEmpty(s?.reported);
  return { ...(desired && { desired }), ...(reported && { reported }) };
}

function withToken<T extends JsonObject>(body: T, clientToken: string | undefined): T {
  return clientToken === undefined ? body : { ...body, clientToken };
}

function checkVersion(req: ShadowRequest, current: number): void {
  if (req.version !== undefined && req.version !== current) {
    throw new ShadowRequestError(409, 'Version conflict');
  }
}

export function updateShadow(
  stored: StoredShadow | undefined,
  body: Buffer,
  nowSec: number,
): { stored: StoredShadow; outcome: ShadowOutcome } {
  const req = parseRequest(body, false);
  const patch = validateState(req.state);
  const version = stored?.version ?? 0;
  checkVersion(req, version);

  const prevState = compact(stored?.state);
  const prevMeta = compact(stored?.metadata);
  const state: ShadowState = { ...prevState };
  const metadata: ShadowState = { ...prevMeta };
  const acceptedMeta: JsonObject = {};
  for (const section of ['desired', 'reported'] as const) {
    if (!(section in patch)) continue;
    const p = patch[section];
    if (p === null) {
      delete state[section];
      delete metadata[section];
      acceptedMeta[section] = { timestamp: nowSec };
    } else if (p !== undefined) {
      state[section] = merge(state[section], p);
      metadata[section] = mergeMetadata(metadata[section], p, nowSec);
      acceptedMeta[section] = metadataFor(p, nowSec);
    }
  }
  const next: StoredShadow = { version: version + 1, state: compact(state), metadata: compact(metadata) };
  if (Buffer.byteLength(JSON.stringify(next.state)) > SHADOW_LIMITS.maxDocumentBytes) {
    throw new ShadowRequestError(413, 'The payload exceeds the maximum size allowed');
  }

  const accepted = withToken(
    { state: patch as JsonObject, metadata: acceptedMeta, version: next.version, timestamp: nowSec },
    req.clientToken,
  );
  const current = {
    state: next.state as JsonObject,
    metadata: next.metadata as JsonObject,
    version: next.version,
  };
  const documents = withToken(
    {
      ...(stored?.state && {
        previous: { state: prevState as JsonObject, metadata: prevMeta as JsonObject, version },
      }),
      current,
      timestamp: nowSec,
    },
    req.clientToken,
  );
  const before = computeDelta(prevState.desired, prevState.reported);
  const after = computeDelta(next.state?.desired, next.state?.reported);
  // A delta goes out when desired was written, or when a report changed what is still outstanding.
  const publishDelta =
    Object.keys(after).length > 0 && (patch.desired !== undefined || !isDeepStrictEqual(before, after));
  const delta = publishDelta
    ? withToken(
        {
          version: next.version,
          timestamp: nowSec,
          state: after,
          metadata: metadataSubset(next.metadata?.desired, after),
        },
        req.clientToken,
      )
    : undefined;
  return { stored: next, outcome: { accepted, documents, ...(delta && { delta }) } };
}

export function getShadow(
  stored: StoredShadow | undefined,
  body: Buffer,
  nowSec: number,
  notFoundName: string,
): ShadowOutcome {
  const req = parseRequest(body, true);
  if (!stored?.state) throw new ShadowRequestError(404, `No shadow exists with name: '${notFoundName}'`);
  const state = compact(stored.state);
  const delta = nonEmpty(computeDelta(state.desired, state.reported));
  return {
    accepted: withToken(
      {
        state: { ...state, ...(delta && { delta }) },
        metadata: compact(stored.metadata) as JsonObject,
        version: stored.version,
        timestamp: nowSec,
      },
      req.clientToken,
    ),
  };
}

export function deleteShadow(
  stored: StoredShadow | undefined,
  body: Buffer,
  nowSec: number,
  notFoundName: string,
): { stored: StoredShadow; outcome: ShadowOutcome } {
  const req = parseRequest(body, true);
  if (!stored?.state) throw new ShadowRequestError(404, `No shadow exists with name: '${notFoundName}'`);
  checkVersion(req, stored.version);
  return {
    stored: { version: stored.version },
    outcome: { accepted: withToken({ version: stored.version, timestamp: nowSec }, req.clientToken) },
  };
}

/** The `/rejected` body IoT sends. */
export function rejection(
  e: ShadowRequestError,
  clientToken: string | undefined,
  nowSec: number,
): JsonObject {
  return withToken({ code: e.code, message: e.message, timestamp: nowSec }, clientToken);
}
