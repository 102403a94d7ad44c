// `npm run build:edge`: the Greengrass component artifact without gdk. esbuild bundles the component
// (minified, with a source map) into one CommonJS file with no native code (the IPC and MQTT clients
// are pure JavaScript, so one artifact runs on any Linux CPU Node runs on); it is zipped into
// dist/edge/towerwatch-edge.zip next to dist/edge/recipe.yaml with the version filled in.
// `--gdk` also writes the greengrass-build/ layout gdk's custom build expects; `--bucket` fills the
// artifact URI for `aws greengrassv2 create-component-version`.
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Command } from 'commander';
import { build } from 'esbuild';
import { zipSync } from 'fflate';
import { FLEET } from '../protocol/index.js';
import { ARTIFACT, renderRecipe } from './src/component/recipe.js';

const ROOT = join(import.meta.dirname, '..');

export interface BuildResult {
  zipPath: string;
  recipePath: string;
  zipBytes: number;
  version: string;
}

export async function buildEdge(
  options: { outDir?: string; bucket?: string; gdkDir?: string } = {},
): Promise<BuildResult> {
  const outDir = options.outDir ?? join(ROOT, 'dist', 'edge');
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
  const stage = join(outDir, 'stage');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });

  await build({
    entryPoints: [join(ROOT, 'edge', 'src', 'component', 'entry.ts')],
    outfile: join(stage, ARTIFACT.bundle),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    sourcemap: true,
    // Optional native dependency of modbus-serial (Modbus RTU); see the README.
    external: ['serialport'],
    logLevel: 'warning',
  });

  const files: Record<string, Uint8Array> = {
    [ARTIFACT.bundle]: readFileSync(join(stage, ARTIFACT.bundle)),
    [`${ARTIFACT.bundle}.map`]: readFileSync(join(stage, `${ARTIFACT.bundle}.map`)),
  };
  const zipPath = join(outDir, ARTIFACT.zip);
  writeFileSync(zipPath, zipSync(files, { level: 9 }));
  rmSync(stage, { recursive: true, force: true });

  const artifactUri = `s3://${options.bucket ?? 'BUCKET_NAME'}/${FLEET.componentName}/${version}/${ARTIFACT.zip}`;
  const recipe = renderRecipe(readFileSync(join(ROOT, 'edge', 'recipe.yaml'), 'utf8'), {
    version,
    artifactUri,
  });
  const recipePath = join(outDir, 'recipe.yaml');
  writeFileSync(recipePath, recipe);

  // The layout `greengrass-cli deployment create --recipeDir … --artifactDir …` reads.
  writeLayout(join(outDir, 'greengrass'), version, recipe, zipPath);
  if (options.gdkDir) writeLayout(join(options.gdkDir, 'greengrass-build'), version, recipe, zipPath);
  return { zipPath, recipePath, zipBytes: statSync(zipPath).size, version };
}

function writeLayout(dir: string, version: string, recipe: string, zipPath: string): void {
  const recipes = join(dir, 'recipes');
  const artifacts = join(dir, 'artifacts', FLEET.componentName, version);
  mkdirSync(recipes, { recursive: true });
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(join(recipes, `${FLEET.componentName}-${version}.yaml`), recipe);
  copyFileSync(zipPath, join(artifacts, ARTIFACT.zip));
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('build:edge')
    .description('bundle the edge component into dist/edge/towerwatch-edge.zip with its recipe')
    .option('--bucket <name>', 'S3 bucket for the artifact URI in the recipe')
    .option('--gdk', 'also write greengrass-build/ for `gdk component build` (custom build)')
    .option('--out <dir>', 'output directory', join(ROOT, 'dist', 'edge'));
  program.parse(argv, { from: 'user' });
  const opts = program.opts<{ bucket?: string; gdk?: boolean; out: string }>();
  const result = await buildEdge({
    outDir: opts.out,
    ...(opts.bucket && { bucket: opts.bucket }),
    ...(opts.gdk && { gdkDir: join(ROOT, 'edge') }),
  });
  const kb = (result.zipBytes / 1024).toFixed(0);
  console.log(
    `${relative(process.cwd(), result.zipPath)}  ${kb} KB (${result.zipBytes} bytes), component ${FLEET.componentName} ${result.version}`,
  );
  console.log(`${relative(process.cwd(), result.recipePath)}`);
  return 0;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(`build:edge: ${(e as Error).message}`);
      process.exitCode = 2;
    },
  );
}
