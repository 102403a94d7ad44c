import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalIotError } from '../errors.js';
import type { ShadowKey, ShadowStore, StoredShadow } from './types.js';

const keyOf = (k: ShadowKey) => `${k.thingName}\u0000${k.shadowName ?? ''}`;

export class MemoryShadowStore implements ShadowStore {
  protected readonly shadows = new Map<string, StoredShadow>();

  load(key: ShadowKey): StoredShadow | undefined {
    return this.shadows.get(keyOf(key));
  }

  save(key: ShadowKey, shadow: StoredShadow): void {
    this.shadows.set(keyOf(key), shadow);
  }

  list(thingName: string): string[] {
    return [...this.shadows.entries()]
      .filter(([k, s]) => k.startsWith(`${thingName}\u0000`) && s.state)
      .map(([k]) => k.slice(thingName.length + 1))
      .filter((name) => name !== '');
  }
}

/**
 * One JSON file per shadow under `<stateDir>/shadows/<thing>/{classic.json,named/<name>.json}`,
 * written atomically (temp file + rename) so a crash never leaves half a document.
 */
export class FileShadowStore extends MemoryShadowStore {
  constructor(private readonly dir: string) {
    super();
    mkdirSync(dir, { recursive: true });
  }

  private file(key: ShadowKey): string {
    const thingDir = join(this.dir, key.thingName);
    return key.shadowName === undefined
      ? join(thingDir, 'classic.json')
      : join(thingDir, 'named', `${key.shadowName}.json`);
  }

  override load(key: ShadowKey): StoredShadow | undefined {
    const cached = super.load(key);
    if (cached) return cached;
    const file = this.file(key);
    if (!existsSync(file)) return undefined;
    try {
      const shadow = JSON.parse(readFileSync(file, 'utf8')) as StoredShadow;
      super.save(key, shadow);
      return shadow;
    } catch (e) {
      throw new LocalIotError(
        `shadow file ${file} is unreadable (${(e as Error).message}); delete it to reset`,
      );
    }
  }

  override save(key: ShadowKey, shadow: StoredShadow): void {
    const file = this.file(key);
    mkdirSync(join(file, '..'), { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    writeFileSync(tmp, JSON.stringify(shadow));
    renameSync(tmp, file);
    super.save(key, shadow);
  }

  override list(thingName: string): string[] {
    const named = join(this.dir, thingName, 'named');
    if (!existsSync(named)) return [];
    return readdirSync(named)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .filter((name) => this.load({ thingName, shadowName: name })?.state !== undefined)
      .sort();
  }
}
