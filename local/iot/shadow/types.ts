export type JsonObject = { [k: string]: unknown };

export interface ShadowState {
  desired?: JsonObject;
  reported?: JsonObject;
}

/** What is persisted per shadow. `state` is absent after a delete, but the version carries on as in IoT. */
export interface StoredShadow {
  version: number;
  state?: ShadowState;
  metadata?: ShadowState;
}

export interface ShadowKey {
  thingName: string;
  /** undefined for the classic (unnamed) shadow */
  shadowName?: string;
}

/** Where shadows live between requests (and across restarts, for the file store). */
export interface ShadowStore {
  load(key: ShadowKey): StoredShadow | undefined;
  save(key: ShadowKey, shadow: StoredShadow): void;
  list(thingName: string): string[];
}

/** The messages one shadow operation produces: the reply to the caller and the broadcasts. */
export interface ShadowOutcome {
  /** `accepted` body, also the HTTP response body */
  accepted: JsonObject;
  documents?: JsonObject;
  delta?: JsonObject;
}
