#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx so the repo needs no build step.
import { register } from 'tsx/esm/api';

// The SDK's multi-line notice about Node 22 would break the one-line-error contract of our CLIs on Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../local/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
