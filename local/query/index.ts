export { assertArchiveDir, duckdbErrorLine, openArchiveEngine } from './engine.js';
export { duckdbColumnKind, queryValueConverter } from './values.js';
export { archiveViewSql, tableHasFiles } from './views.js';
