import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FLEET } from '../../../protocol/index.js';
import { buildEdge } from '../../../edge/build.js';
import { ARTIFACT, assertReadsAlikeInYaml11, readRecipe } from '../../../edge/src/component/recipe.js';
import { simulatedTowerConfig } from '../../../edge/src/monitor/index.js';
import { FakeNucleus } from '../../support/fake-nucleus/index.js';
import { tempDir, waitFor } from '../buffer/helpers.js';

const ROOT = join(import.meta.dirname, '../../..');
const t = tempDir('build');
afterAll(() => t.cleanup());

describe('npm run build:edge', () => {
  it('zips a bundle that starts with node outside Greengrass and runs the IPC transport under a nucleus', async () => {
    const result = await buildEdge({ outDir: join(t.dir, 'dist') });
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const gdk = JSON.parse(readFileSync(join(ROOT, 'edge', 'gdk-config.json'), 'utf8'));
    expect(result.version).toBe(pkg.version);
    expect(gdk.component[FLEET.componentName].version).toBe(pkg.version);
    const recipe = readRecipe(result.recipePath);
    // The built file, as Greengrass and GDK read it (YAML 1.1): versions stay strings.
    const built = readFileSync(result.recipePath, 'utf8');
    expect(() => assertReadsAlikeInYaml11(built, result.recipePath)).not.toThrow();
    expect(built).toMatch(/^RecipeFormatVersion: "2020-01-25"$/m);
    expect(parse(built, { version: '1.1' }).ComponentVersion).toBe(pkg.version);
    expect(recipe.ComponentVersion).toBe(pkg.version);
    expect(recipe.Manifests[0]!.Artifacts![0]!.URI).toBe(
      `s3://BUCKET_NAME/${FLEET.componentName}/${pkg.version}/${ARTIFACT.zip}`,
    );

    // Unzip where Greengrass would ({artifacts:decompressedPath}/<zip name>/), far from node_modules.
    const files = unzipSync(readFileSync(result.zipPath));
    // No native code: the one bundle runs on any CPU (x86_64, arm64, 32-bit ARM).
    expect(Object.keys(files).sort()).toEqual([ARTIFACT.bundle, `${ARTIFACT.bundle}.map`]);
    expect(Buffer.from(files[ARTIFACT.bundle]!).toString()).not.toMatch(/aws-crt|\.node["']/);
    const unpacked = join(t.dir, 'artifacts', ARTIFACT.dir);
    for (const [name, bytes] of Object.entries(files)) {
      mkdirSync(dirname(join(unpacked, name)), { recursive: true });
      writeFileSync(join(unpacked, name), bytes);
    }
    const bundle = join(unpacked, ARTIFACT.bundle);
    const help = spawnSync(process.execPath, [bundle, '--help'], {
      encoding: 'utf8',
      cwd: t.dir,
      env: { PATH: process.env.PATH },
    });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: towerwatch edge/);
    const bare = spawnSync(process.execPath, [bundle], {
      encoding: 'utf8',
      cwd: t.dir,
      env: { PATH: process.env.PATH },
    });
    expect(bare.status).toBe(2);
    expect(bare.stderr.trim()).toBe(
      'towerwatch edge: --config <file> is required outside Greengrass (see --help)',
    );

    const towerId = 'tower-zip';
    const nucleus = await FakeNucleus.start(join(t.dir, 'nucleus.sock'), 'token-zip');
    nucleus.configuration = JSON.parse(
      JSON.stringify({
        sensors: simulatedTowerConfig(towerId, { sensors: 2, intervalMs: 100 }),
        batching: { maxAgeMs: 300 },
      }),
    );
    const child = spawn(process.execPath, [bundle, '--state-dir', join(t.dir, 'work')], {
      cwd: t.dir,
      env: { PATH: process.env.PATH, ...nucleus.componentEnv(), AWS_IOT_THING_NAME: towerId },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitFor(
        () => nucleus.states.includes('RUNNING'),
        `RUNNING from the bundle (stderr: ${stderr})`,
        60_000,
      );
      await waitFor(
        () => nucleus.published.some((p) => p.topicName === `dt/towerwatch/${towerId}/telemetry`),
        'telemetry from the bundle',
      );
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await nucleus.stop();
    }
  });
});
