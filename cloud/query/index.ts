export { AthenaQueryEngine, type AthenaEngineOptions } from './athena.js';
export { athenaColumnKind, athenaValue } from './athena-values.js';
export * from './errors.js';
export { csvField, formatBytes, formatCsv, formatJson, formatResult, formatTable } from './format.js';
export {
  isPresetName,
  PRESET_NAMES,
  PRESETS,
  type Preset,
  type PresetName,
  type PresetParams,
  presetListing,
  presetSql,
} from './presets.js';
export * from './range.js';
export * from './types.js';
export { integerValue, isoTimestamp, rowObject, uniqueColumnNames } from './values.js';
