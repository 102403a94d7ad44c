/**
 * Ready-made questions over the archive, as SQL that DuckDB and Athena engine v3 (Trino) both run:
 * only the common subset (`date_trunc`, `count(DISTINCT …)`, `CAST`, `TIMESTAMP '…'` literals, no
 * `::`, no engine-specific functions), so a preset answers the same locally and in AWS.
 *
 * Every preset
 * - prunes partitions with `dt BETWEEN` the days `dtRangeFor` names (the range and the slack day
 *   before it, where a message that crossed midnight keeps its later readings) and filters `ts` to
 *   the range, so an engine reads only those days' files;
 * - counts a redelivered batch once: at-least-once delivery writes its rows again, identical in every
 *   column, so a preset either reads `SELECT DISTINCT` rows over the table's identity or aggregates
 *   with `count(DISTINCT …)` only;
 * - is rendered from parsed numbers and a tower id checked against the protocol's pattern, never from
 *   user text.
 */
import { ARCHIVE_PARTITION, ARCHIVE_TABLES, assertTowerId, dtRangeFor } from '../../protocol/index.js';
import { PresetError } from './errors.js';
import { assertRange, type QueryRange, timestampMsLiteral, wholeHours } from './range.js';

export interface PresetParams extends QueryRange {
  /** Only this tower (checked against the tower id pattern before it reaches SQL). */
  towerId?: string;
}

export interface Preset {
  description: string;
  sql(params: PresetParams): string;
}

/** The partition and time filters every preset starts from. */
function rangeFilters(params: PresetParams): string[] {
  const { from, to } = dtRangeFor(params.fromMs, params.toMs);
  const filters = [
    `${ARCHIVE_PARTITION.key} BETWEEN '${from}' AND '${to}'`,
    `ts >= ${timestampMsLiteral(params.fromMs)} AND ts <= ${timestampMsLiteral(params.toMs)}`,
  ];
  if (params.towerId !== undefined) filters.push(`tower_id = '${params.towerId}'`);
  return filters;
}

/** A reading once however often its batch was delivered: its identity and the columns read. */
const DISTINCT_READING_COLUMNS = [...ARCHIVE_TABLES.readings.identity, 'sensor_id', 'ts', 'value'].join(', ');

export const PRESETS = {
  'daily-max': {
    description:
      'per tower, sensor and UTC day: max, min and mean value and the readings counted once (failed reads count, their null values not)',
    sql: (p) =>
      [
        'SELECT tower_id, sensor_id, CAST(ts AS DATE) AS day,',
        '  max(value) AS max_value, min(value) AS min_value,',
        // An exact decimal sum, not avg(double): a float sum depends on the order the engine adds
        // in, and the same readings must give the same mean to the last bit (as the rollups do).
        '  CAST(sum(CAST(value AS DECIMAL(38, 9))) AS DOUBLE) / count(value) AS mean_value,',
        '  count(*) AS readings',
        'FROM (',
        `  SELECT DISTINCT ${DISTINCT_READING_COLUMNS} FROM readings`,
        `  WHERE ${rangeFilters(p).join('\n    AND ')}`,
        ') AS r',
        'GROUP BY tower_id, sensor_id, CAST(ts AS DATE)',
        'ORDER BY tower_id, sensor_id, day',
      ].join('\n'),
  },
  'offline-hours': {
    description:
      'per tower that reported in the range (or --tower): whole UTC clock hours of the range without a single reading (partly covered edge hours are not judged)',
    sql: (p) => {
      const whole = wholeHours(p);
      const hours = `CAST(${whole.hours} AS BIGINT)`;
      // Only readings of the whole hours are judged; the towers are those that reported anywhere in
      // the range (one that reported only in a partial edge hour is listed, fully offline).
      // count(DISTINCT hour) is already blind to redelivered rows: no DISTINCT subquery needed.
      const withReadings = [
        'count(DISTINCT CASE WHEN ts >= ',
        `${timestampMsLiteral(whole.fromMs)} AND ts <= ${timestampMsLiteral(whole.toMs)}`,
        " THEN date_trunc('hour', ts) END)",
      ].join('');
      // A named tower gets its row even when it sent nothing (an aggregate without GROUP BY always
      // returns one row).
      const tower = p.towerId !== undefined ? `'${p.towerId}'` : 'tower_id';
      return [
        `SELECT ${tower} AS tower_id, ${hours} AS hours_in_range,`,
        `  ${withReadings} AS hours_with_readings,`,
        `  ${hours} - ${withReadings} AS offline_hours`,
        'FROM readings',
        `WHERE ${rangeFilters(p).join('\n  AND ')}`,
        ...(p.towerId !== undefined ? [] : ['GROUP BY tower_id', 'ORDER BY offline_hours DESC, tower_id']),
      ].join('\n');
    },
  },
  'alerts-per-tower': {
    description: 'per tower and severity: alerts raised in the range (each incident once)',
    sql: (p) =>
      [
        'SELECT tower_id, severity, count(DISTINCT alert_id) AS raises',
        'FROM alerts',
        `WHERE ${[...rangeFilters(p), "state = 'raise'"].join('\n  AND ')}`,
        'GROUP BY tower_id, severity',
        'ORDER BY tower_id, severity',
      ].join('\n'),
  },
} as const satisfies Record<string, Preset>;
export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name);
}

function checkedTowerId(towerId: string): string {
  try {
    return assertTowerId(towerId, '--tower');
  } catch (e) {
    throw new PresetError((e as Error).message);
  }
}

/** The SQL of preset `name` over `params`; an unknown name, a bad range or tower id is a PresetError. */
export function presetSql(name: string, params: PresetParams): string {
  if (!isPresetName(name)) {
    throw new PresetError(`unknown preset ${JSON.stringify(name)}: use one of ${PRESET_NAMES.join(', ')}`);
  }
  assertRange(params);
  const towerId = params.towerId === undefined ? undefined : checkedTowerId(params.towerId);
  return PRESETS[name].sql({
    fromMs: params.fromMs,
    toMs: params.toMs,
    ...(towerId !== undefined && { towerId }),
  });
}

/** One line per preset: name and what it answers (`--preset list`). */
export function presetListing(): string[] {
  const width = Math.max(...PRESET_NAMES.map((n) => n.length));
  return PRESET_NAMES.map((name) => `${name.padEnd(width)}  ${PRESETS[name].description}`);
}
