/**
 * Every certs-tool failure a user can act on: the message names the problem, `fix` says what to do.
 * The CLI prints `message (fix)` as its one line and exits 2.
 */
export class CertsToolError extends Error {
  override readonly name: string = 'CertsToolError';
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(fix ? `${message} (${fix})` : message);
  }
}

export class CaExistsError extends CertsToolError {
  override readonly name = 'CaExistsError';
}
export class MissingCaError extends CertsToolError {
  override readonly name = 'MissingCaError';
}
export class BadCertificateError extends CertsToolError {
  override readonly name = 'BadCertificateError';
}
export class BadCsrError extends CertsToolError {
  override readonly name = 'BadCsrError';
}
export class UnknownTowerError extends CertsToolError {
  override readonly name = 'UnknownTowerError';
}
export class FileError extends CertsToolError {
  override readonly name = 'FileError';
}
