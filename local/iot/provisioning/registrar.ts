import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Registry, type RegistryEntry } from '../../../certs-tool/registry.js';
import type { Clock } from '../../../edge/src/ports.js';
import { parseJitpTemplateBody } from '../../../protocol/index.js';
import { type KnownResources, planProvisioning } from './jitp.js';
import type { ProvisioningStore } from './store.js';
import type { CaSettings, RegistrationOutcome } from './types.js';

export interface RegistrarDeps {
  certsDir: string;
  store: ProvisioningStore;
  /** provisioning templates in the account by name (the CDK app deploys `towerwatch-jitp`) */
  templates: ReadonlyMap<string, string>;
  known: KnownResources;
  clock: Clock;
}

export interface RegisteredCa {
  entry: RegistryEntry;
  cert: X509Certificate;
  settings: CaSettings | undefined;
}

/** Where certificates registered at connect time are kept (the registry points at a file). */
export const JITP_CERTS_DIR = 'jitp';

/**
 * IoT Core's just-in-time registration for the local broker: a certificate the registry does not
 * list, signed by a registered ACTIVE CA with auto-registration on, is registered
 * PENDING_ACTIVATION; with a provisioning template the template runs (thing, groups, policies) and
 * the certificate takes the template's status. The broker then drops the connection, as IoT does.
 */
export class JustInTimeRegistrar {
  constructor(private readonly deps: RegistrarDeps) {}

  /** The registered CA certificates (registry rows of kind `ca`) with their local settings. */
  registeredCas(): RegisteredCa[] {
    const root = resolve(this.deps.certsDir);
    const settings = this.deps.store.read().caCertificates;
    return Registry.load(root)
      .entries.filter((e) => e.kind === 'ca' && existsSync(join(root, e.certPath)))
      .map((entry) => ({
        entry,
        cert: new X509Certificate(readFileSync(join(root, entry.certPath))),
        settings: settings[entry.certificateId],
      }));
  }

  registerUnknown(der: Buffer): RegistrationOutcome {
    const cert = new X509Certificate(der);
    const certificateId = createHash('sha256').update(der).digest('hex');
    const ca = this.registeredCas().find((c) => cert.checkIssued(c.cert) && cert.verify(c.cert.publicKey));
    if (!ca)
      return { kind: 'refused', reason: 'certificate is not in the registry and no registered CA signed it' };
    if (ca.entry.status !== 'ACTIVE') return { kind: 'refused', reason: `its CA is ${ca.entry.status}` };
    if (ca.settings?.autoRegistrationStatus !== 'ENABLE') {
      return {
        kind: 'refused',
        reason:
          'certificate is not in the registry (its CA has auto-registration off: certs-tool register-ca --jitp, or issue it with certs-tool)',
      };
    }

    const root = resolve(this.deps.certsDir);
    const now = new Date(this.deps.clock.now()).toISOString();
    mkdirSync(join(root, JITP_CERTS_DIR), { recursive: true });
    const certPath = join(JITP_CERTS_DIR, `${certificateId}.pem`);
    writeFileSync(join(root, certPath), cert.toString());
    Registry.update(root, (r) =>
      r.upsert({
        certificateId,
        towerId: null,
        kind: 'device',
        status: 'PENDING_ACTIVATION',
        serial: cert.serialNumber.toLowerCase(),
        notBefore: new Date(cert.validFrom).toISOString(),
        notAfter: new Date(cert.validTo).toISOString(),
        certPath,
        createdAt: now,
        updatedAt: now,
      }),
    );

    const config = ca.settings.registrationConfig;
    const body =
      config?.templateBody ?? (config?.templateName && this.deps.templates.get(config.templateName));
    // Auto-registration without a template: the certificate waits for someone to activate it.
    if (!body) return { kind: 'registered', status: 'PENDING_ACTIVATION' };
    let result: ReturnType<typeof planProvisioning>;
    try {
      result = planProvisioning(
        parseJitpTemplateBody(body),
        { certificateId, commonName: cnOf(cert) },
        this.deps.known,
      );
    } catch (e) {
      result = { ok: false, reason: (e as Error).message };
    }
    // A failed run leaves the certificate PENDING_ACTIVATION, as in IoT (see the provisioning metrics).
    if (!result.ok) return { kind: 'registered', status: 'PENDING_ACTIVATION', reason: result.reason };

    const { plan } = result;
    this.deps.store.update((data) => {
      const groups = data.things[plan.thingName]?.thingGroups ?? [];
      data.things[plan.thingName] = {
        thingGroups: [...new Set([...groups, ...plan.thingGroups])],
        createdAt: data.things[plan.thingName]?.createdAt ?? now,
      };
      data.policyAttachments[certificateId] = plan.policyNames;
    });
    Registry.update(root, (r) => {
      const entry = r.find(certificateId)!;
      r.upsert({ ...entry, towerId: plan.thingName, status: plan.status, updatedAt: now });
    });
    return { kind: 'registered', status: plan.status, thingName: plan.thingName };
  }

  /** Policies attached to a certificate; undefined for one certs-tool issued (it has the tower policy). */
  attachedPolicies(certificateId: string): readonly string[] | undefined {
    return this.deps.store.read().policyAttachments[certificateId];
  }
}

function cnOf(cert: X509Certificate): string | undefined {
  return /^CN=(.*)$/m.exec(cert.subject)?.[1];
}
