/** Structured logging as Powertools' Logger and console both provide it. */
export interface Logger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
}

/** One JSON line per event on stderr: Greengrass captures it into the component log. */
export const stderrLogger: Logger = {
  info: (message, extra) => process.stderr.write(`${JSON.stringify({ level: 'INFO', message, ...extra })}\n`),
  warn: (message, extra) => process.stderr.write(`${JSON.stringify({ level: 'WARN', message, ...extra })}\n`),
};

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined };
