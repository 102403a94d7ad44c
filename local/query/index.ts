export { assertArchiveDir, duckdbErrorLine, openArchiveEngine } from './engine.js';
export { duckdbColumnKind, queryValueConverter } from './values.js';
export { ARCHIVE_VIEWS, type ArchiveView, archiveViewSql, viewHasFiles, writeSchemaFile } from './views.js';
