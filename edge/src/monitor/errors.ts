/** The open-alerts file cannot be used; the component warns and starts with no open incidents. */
export class AlertStateFileError extends Error {
  override readonly name = 'AlertStateFileError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem} (starting with no open incidents; the file is rewritten now)`);
  }
}
