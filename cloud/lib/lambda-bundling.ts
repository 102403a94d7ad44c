import { join } from 'node:path';
import { type BundlingOptions, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');

/**
 * How every Lambda is bundled, written once: the stack hands it to NodejsFunction (NODEJS_BUNDLING)
 * and the `bundles` benchmark hands the same settings to esbuild (LAMBDA_ESBUILD_OPTIONS) to measure
 * what gets deployed.
 * The AWS SDK v3 stays external: the nodejs24.x runtime ships it.
 */
export const LAMBDA_BUNDLING = {
  target: 'node24',
  format: 'esm',
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  externalModules: ['@aws-sdk/*'],
  // ESM output: dependencies that still call require() get one through createRequire.
  banner: "import { createRequire } from 'node:module';const require = createRequire(import.meta.url);",
} as const;

export const NODEJS_BUNDLING: BundlingOptions = {
  target: LAMBDA_BUNDLING.target,
  format: OutputFormat.ESM,
  minify: LAMBDA_BUNDLING.minify,
  sourceMap: LAMBDA_BUNDLING.sourceMap,
  sourceMapMode: SourceMapMode.DEFAULT,
  sourcesContent: LAMBDA_BUNDLING.sourcesContent,
  mainFields: [...LAMBDA_BUNDLING.mainFields],
  externalModules: [...LAMBDA_BUNDLING.externalModules],
  banner: LAMBDA_BUNDLING.banner,
  forceDockerBundling: false,
};

/** LAMBDA_BUNDLING as the esbuild options NodejsFunction builds from it (it always bundles for node). */
export const LAMBDA_ESBUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: LAMBDA_BUNDLING.target,
  format: LAMBDA_BUNDLING.format,
  minify: LAMBDA_BUNDLING.minify,
  sourcemap: LAMBDA_BUNDLING.sourceMap,
  sourcesContent: LAMBDA_BUNDLING.sourcesContent,
  mainFields: [...LAMBDA_BUNDLING.mainFields],
  external: [...LAMBDA_BUNDLING.externalModules],
  banner: { js: LAMBDA_BUNDLING.banner },
};
