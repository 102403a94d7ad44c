import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, type Stats, statSync, watch, type FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';
import { REGISTRY_FILE, Registry, type RegistryEntry } from '../../../certs-tool/registry.js';
import { LocalIotError } from '../errors.js';

/** The files the broker needs from a certs-tool directory (its layout: ca/, server/, devices/). */
export interface TlsMaterial {
  /** Fleet CA certificates a client certificate must chain to. */
  ca: string[];
  cert: string;
  key: string;
}

function readRequired(path: string, what: string, fix: string): string {
  if (!existsSync(path)) throw new LocalIotError(`${what} not found at ${path} (${fix})`);
  return readFileSync(path, 'utf8');
}

/** Reads the fleet CA(s) and the server identity; CAs registered in the registry are trusted too. */
export function loadTlsMaterial(certsDir: string): TlsMaterial {
  const root = resolve(certsDir);
  const fix = `run 'npx certs-tool ca init --dir ${certsDir}' and 'npx certs-tool server issue localhost 127.0.0.1 --dir ${certsDir}'`;
  const ca = [readRequired(join(root, 'ca', 'ca.pem'), 'fleet CA certificate', fix)];
  for (const entry of Registry.load(root).entries) {
    if (entry.kind !== 'ca' || entry.status !== 'ACTIVE') continue;
    const path = join(root, entry.certPath);
    if (existsSync(path)) ca.push(readFileSync(path, 'utf8'));
  }
  return {
    ca: [...new Set(ca)],
    cert: readRequired(join(root, 'server', 'cert.pem'), 'server certificate', fix),
    key: readRequired(join(root, 'server', 'key.pem'), 'server private key', fix),
  };
}

/** The certificate id as AWS IoT computes it: hex SHA-256 of the DER encoding. */
export function certificateIdOf(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

export function commonNameOf(der: Buffer): string | undefined {
  const subject = new X509Certificate(der).subject;
  return /^CN=(.*)$/m.exec(subject)?.[1];
}

/**
 * The registry as the broker sees it: re-read whenever the file changes (checked on every CONNECT,
 * and watched so revoking a certificate disconnects its live sessions without a restart).
 */
export class RegistryView {
  private registry: Registry;
  private stamp = '';
  private watcher: FSWatcher | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly dir: string) {
    this.registry = Registry.load(dir);
    this.stamp = this.currentStamp();
  }

  private currentStamp(): string {
    let st: Stats;
    try {
      st = statSync(join(this.dir, REGISTRY_FILE));
    } catch {
      return 'missing';
    }
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  }

  /**
   * Reloads when the file changed; returns true when it did. A half-written file keeps the last good
   * copy. Every reload tells the listeners, whoever caused it: a CONNECT that happens to read a
   * revocation first must not leave the watcher with nothing to report (live sessions would survive).
   */
  refresh(): boolean {
    const stamp = this.currentStamp();
    if (stamp === this.stamp) return false;
    try {
      this.registry = Registry.load(this.dir);
      this.stamp = stamp;
    } catch {
      return false;
    }
    // After the caller's own lookup, not inside it: a listener may look entries up again.
    if (this.listeners.size) queueMicrotask(() => this.notify());
    return true;
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  find(certificateId: string): RegistryEntry | undefined {
    this.refresh();
    return this.registry.find(certificateId);
  }

  /** Calls `onChange` after every reload, from the file watcher or from a lookup that found the file changed. */
  watch(onChange: () => void): void {
    this.listeners.add(onChange);
    if (this.watcher) return;
    try {
      this.watcher = watch(this.dir, (_event, file) => {
        if (file === REGISTRY_FILE) this.refresh();
      });
      this.watcher.unref();
    } catch {
      // Without a watcher, changes still apply at the next CONNECT.
    }
  }

  close(): void {
    this.listeners.clear();
    this.watcher?.close();
  }
}

/** Why a certificate may not connect, or undefined when it may. */
export function certificateProblem(entry: RegistryEntry | undefined, nowMs: number): string | undefined {
  if (!entry) return 'certificate is not in the registry (issue it with certs-tool)';
  if (entry.kind !== 'device') return `certificate is a ${entry.kind} certificate, not a device certificate`;
  if (entry.status !== 'ACTIVE') return `certificate is ${entry.status}`;
  if (Date.parse(entry.notAfter) <= nowMs) return `certificate expired at ${entry.notAfter}`;
  if (Date.parse(entry.notBefore) > nowMs) return `certificate is not valid before ${entry.notBefore}`;
  return undefined;
}
