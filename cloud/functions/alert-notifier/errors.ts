/** A versioned state item changed between its read and the conditional write, too often to go on. */
export class ConcurrentUpdateError extends Error {
  override readonly name = 'ConcurrentUpdateError';
}
