import type { core } from 'zod';

/** Bad configuration: one line, `config.<path>: <problem> (<fix>)`. The component refuses to start with it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly path: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`config${path ? `.${path}` : ''}: ${problem} (${fix})`);
  }
}

/** The first issue as a ConfigError; the rest are counted so the user knows more may follow. */
export function configErrorFromIssues(
  issues: readonly core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): ConfigError {
  const issue = issues[0]!;
  const path = [...prefix, ...issue.path].map(String).join('.');
  const more =
    issues.length > 1 ? `; ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''} after this` : '';
  return new ConfigError(path, problemOf(issue), fixFor(issue) + more);
}

function problemOf(issue: core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && (issue as { received?: string }).received === 'NaN') {
    return `expected a ${issue.expected}, got something that is not a number`;
  }
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
    return 'is missing';
  }
  if (issue.code === 'unrecognized_keys')
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  return issue.message;
}

function fixFor(issue: core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `set it to a ${issue.expected}`;
    case 'too_small':
      return `use a value of at least ${String(issue.minimum)}`;
    case 'too_big':
      return `use a value of at most ${String(issue.maximum)}`;
    case 'invalid_value':
      return `use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      return 'discriminator' in issue && Array.isArray((issue as { options?: unknown }).options)
        ? `use one of ${(issue as { options: unknown[] }).options.map(String).join(', ')}`
        : 'check the field against the README example';
    case 'unrecognized_keys':
      return 'remove it or fix its spelling';
    case 'invalid_format':
      return issue.format === 'regex'
        ? 'change the value to follow that rule'
        : `use a valid ${issue.format}`;
    default:
      return 'see the README section "Edge sensing and detection"';
  }
}
