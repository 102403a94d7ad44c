import { COMMANDS } from './commands.js';

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length), 8);
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: towerwatch <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    "run 'towerwatch <command> --help' for a command's options",
  ].join('\n');
}

/** Entry of the `towerwatch` bin: dispatches to the command modules; every error is one line and exit code 2. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    console.error(`towerwatch: unknown command '${name}' (run 'towerwatch --help' for the list)`);
    return 2;
  }
  try {
    return await (await entry.load()).main(rest);
  } catch (e) {
    console.error(`towerwatch ${name}: ${(e as Error).message}`);
    return 2;
  }
}
