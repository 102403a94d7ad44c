/** A value during evaluation: JSON, `undefined` for IoT's Undefined, or raw bytes for a binary `*`. */
export type SqlValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | Buffer
  | SqlValue[]
  | { [k: string]: SqlValue };
