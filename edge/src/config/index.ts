export { ConfigError, configErrorFromIssues } from './errors.js';
export { ENV_OVERRIDES, type LoadEdgeConfigOptions, loadEdgeConfig } from './load.js';
export { overlayTunable, reportedPatch } from './overlay.js';
export { ShadowConfigController, type ShadowConfigOptions, type ShadowConfigStatus } from './shadow.js';
export { APPLIED_CONFIG_FILE, type AppliedConfig, AppliedConfigStore } from './store.js';
export { type Logger, silentLogger, stderrLogger } from './types.js';
