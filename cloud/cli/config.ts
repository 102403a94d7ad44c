/**
 * `towerwatch config set <towerId> <path>=<value>…`: changes a tower's named shadow `config`
 * (desired state) through the IoT data plane. The edge applies it and reports it back.
 */
import {
  GetThingShadowCommand,
  IoTDataPlaneClient,
  ResourceNotFoundException,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import { Command } from 'commander';
import { assertTowerId, ConfigShadowStateSchema, SHADOW_NAMES } from '../../protocol/index.js';
import { awsErrorLine, cliClientConfig, HELP_TO_STDOUT, parseFailureExitCode } from './program.js';

export class ConfigCommandError extends Error {
  override name = 'ConfigCommandError';
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/**
 * Splits `rules.temperature.high.critical` into segments; a segment holding dots (sensor ids may)
 * is written in brackets: `sensors[temp.cabinet].intervalMs`.
 */
export function parsePath(path: string): string[] {
  const segments: string[] = [];
  let rest = path;
  let ok = rest.length > 0;
  while (ok && rest.length > 0) {
    const m = /^(?:\[([^\]]+)\]|([^.[\]]+))/.exec(rest);
    if (!m) {
      ok = false;
      break;
    }
    segments.push((m[1] ?? m[2])!);
    rest = rest.slice(m[0].length);
    if (rest.startsWith('.')) {
      rest = rest.slice(1);
      ok = rest.length > 0;
    } else ok = rest.length === 0 || rest.startsWith('[');
  }
  if (!ok) {
    throw new ConfigCommandError(
      `invalid path ${JSON.stringify(path)}: use dot-separated names, e.g. rules.temperature.high.critical (brackets for ids with dots: sensors[a.b].intervalMs)`,
    );
  }
  return segments;
}

/** A value is JSON when it parses as JSON (`45`, `true`, `null`, `{"k":2,"n":3}`), else a string. */
export function parseValue(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

/** `a.b=1 a.c=2` → `{ a: { b: 1, c: 2 } }`: the patch sent as `state.desired`. */
export function buildPatch(assignments: readonly string[]): JsonObject {
  if (assignments.length === 0)
    throw new ConfigCommandError('nothing to set: give at least one <path>=<value>');
  const patch: JsonObject = {};
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new ConfigCommandError(`expected <path>=<value>, got ${JSON.stringify(a)}`);
    const segments = parsePath(a.slice(0, eq));
    let node = patch;
    for (const seg of segments.slice(0, -1)) {
      const next = node[seg];
      if (next === undefined) node[seg] = {};
      else if (next === null || typeof next !== 'object' || Array.isArray(next)) {
        throw new ConfigCommandError(`${a.slice(0, eq)}: a value was already set for ${seg}`);
      }
      node = node[seg] as JsonObject;
    }
    node[segments.at(-1)!] = parseValue(a.slice(eq + 1));
  }
  return patch;
}

/** Shadow merge semantics: objects merge key by key, `null` deletes, anything else replaces. */
export function mergeDesired(current: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (typeof v === 'object' && !Array.isArray(v)) {
      const base = out[k];
      out[k] = mergeDesired(base && typeof base === 'object' && !Array.isArray(base) ? base : {}, v);
    } else out[k] = v;
  }
  return out;
}

/** Validates what the desired state becomes; the first problem is one line naming the field. */
export function validateDesired(desired: JsonObject): void {
  const result = ConfigShadowStateSchema.safeParse(desired);
  if (result.success) return;
  const issue = result.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : '(document)';
  throw new ConfigCommandError(
    `${field}: ${issue.message} (see the config shadow schema in protocol/schemas/config.ts)`,
  );
}

export interface SetConfigResult {
  patch: JsonObject;
  desired: JsonObject;
  sent: boolean;
  version?: number;
}

/** Reads the current desired state, validates the merge, sends only the patch (version-checked). */
export async function setConfig(
  client: IoTDataPlaneClient | undefined,
  towerId: string,
  assignments: readonly string[],
): Promise<SetConfigResult> {
  assertTowerId(towerId);
  const patch = buildPatch(assignments);
  if (!client) {
    const desired = mergeDesired({}, patch);
    validateDesired(desired);
    return { patch, desired, sent: false };
  }
  const { desired: current, version } = await readDesired(client, towerId);
  const desired = mergeDesired(current, patch);
  validateDesired(desired);
  const update = { state: { desired: patch }, ...(version !== undefined && { version }) };
  const out = await client.send(
    new UpdateThingShadowCommand({
      thingName: towerId,
      shadowName: SHADOW_NAMES.config,
      payload: new TextEncoder().encode(JSON.stringify(update)),
    }),
  );
  const accepted = out.payload
    ? (JSON.parse(new TextDecoder().decode(out.payload)) as { version?: number })
    : {};
  return { patch, desired, sent: true, ...(accepted.version !== undefined && { version: accepted.version }) };
}

async function readDesired(
  client: IoTDataPlaneClient,
  towerId: string,
): Promise<{ desired: JsonObject; version?: number }> {
  try {
    const out = await client.send(
      new GetThingShadowCommand({ thingName: towerId, shadowName: SHADOW_NAMES.config }),
    );
    const doc = JSON.parse(new TextDecoder().decode(out.payload)) as {
      state?: { desired?: JsonObject };
      version?: number;
    };
    return { desired: doc.state?.desired ?? {}, ...(doc.version !== undefined && { version: doc.version }) };
  } catch (e) {
    if (e instanceof ResourceNotFoundException || (e as Error).name === 'ResourceNotFoundException') {
      return { desired: {} };
    }
    throw e;
  }
}

export function createClient(opts: { endpoint?: string; region?: string }): IoTDataPlaneClient {
  return new IoTDataPlaneClient(cliClientConfig(opts, ConfigCommandError));
}

const USAGE =
  'towerwatch config set <towerId> <path>=<value>... [--endpoint <url>] [--region <r>] [--dry-run]';

const EXAMPLES = `
Examples:
  towerwatch config set tower-0001 rules.temperature.high.critical=50 rules.temperature.hysteresis=2
  towerwatch config set tower-0001 'sensors[temp.cabinet].intervalMs=5000' --dry-run
  towerwatch config set tower-0001 rules.humidity=null --endpoint http://127.0.0.1:8443

A value is JSON when it parses as JSON, else a string; null removes the key. The merged desired state
is validated against the config shadow schema before anything is sent.`;

interface ParsedSet {
  towerId: string;
  assignments: string[];
  opts: { endpoint?: string; region?: string; dryRun?: boolean; json?: boolean };
}

function program(onSet: (p: ParsedSet) => void): Command {
  const p = new Command('towerwatch config')
    .description("Change a tower's thresholds and settings through its `config` shadow")
    .exitOverride()
    .configureOutput(HELP_TO_STDOUT);
  p.command('set')
    .description("Merge <path>=<value> pairs into the desired state of the tower's config shadow")
    .argument('<towerId>', 'the tower (IoT thing name)')
    .argument('<assignments...>', 'one or more <path>=<value>')
    .option(
      '--endpoint <url>',
      "IoT data-plane endpoint: the account's https://<id>-ats.iot.<region>.amazonaws.com, or the local one `towerwatch local --only iot` prints",
    )
    .option('--region <region>', 'AWS region (default: AWS_REGION)')
    .option('--dry-run', 'validate and print the update without contacting AWS')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .configureOutput(HELP_TO_STDOUT)
    .action((towerId: string, assignments: string[], opts: ParsedSet['opts']) =>
      onSet({ towerId, assignments, opts }),
    );
  return p;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0) {
    console.error(`towerwatch config: missing command (usage: ${USAGE})`);
    return 2;
  }
  let parsed: ParsedSet | undefined;
  try {
    await program((p) => {
      parsed = p;
    }).parseAsync(argv, { from: 'user' });
  } catch (e) {
    return parseFailureExitCode(e, 'towerwatch config', `usage: ${USAGE}`);
  }
  if (!parsed) return 0;
  try {
    const { towerId, assignments, opts } = parsed;
    const client = opts.dryRun
      ? undefined
      : createClient({
          ...(opts.endpoint !== undefined && { endpoint: opts.endpoint }),
          ...(opts.region !== undefined && { region: opts.region }),
        });
    const result = await setConfig(client, towerId, assignments);
    if (opts.json) console.log(JSON.stringify({ towerId, ...result }));
    else {
      console.log(
        `${result.sent ? 'sent' : 'dry run, not sent'}: ${JSON.stringify({ state: { desired: result.patch } })}`,
      );
      if (result.version !== undefined)
        console.log(`config shadow of ${towerId} is now version ${result.version}`);
    }
    return 0;
  } catch (e) {
    console.error(`towerwatch config: ${oneLine(e)}`);
    return 2;
  }
}

function oneLine(e: unknown): string {
  if ((e as Error).name === 'ConflictException')
    return 'the config shadow changed while updating: run the command again';
  return awsErrorLine(e);
}
