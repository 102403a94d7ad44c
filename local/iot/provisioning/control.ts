import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Registry, type RegistryEntry } from '../../../certs-tool/registry.js';
import type { Clock } from '../../../edge/src/ports.js';
import { parseJitpTemplateBody, type PolicyScope } from '../../../protocol/index.js';
import type { ProvisioningStore } from './store.js';
import { type RegistrationConfig, RegistrationConfigSchema } from './types.js';

/** A refusal with the status and error type the IoT control plane answers (the SDK reads the type). */
export class ControlPlaneError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    readonly type: 'InvalidRequestException' | 'ResourceNotFoundException' | 'ResourceAlreadyExistsException',
    message: string,
  ) {
    super(message);
  }
}

export interface ControlPlaneDeps {
  certsDir: string;
  store: ProvisioningStore;
  templates: ReadonlyMap<string, string>;
  scope: PolicyScope;
  clock: Clock;
  /** a CA was registered or changed: the broker trusts the new set at the next handshake */
  onCaChange(): void;
}

export interface ControlPlaneRequest {
  method: string;
  url: URL;
  body(): Promise<Buffer>;
}

export type ControlPlaneReply = { status: number; body: unknown };

/** Where CA certificates registered through the control plane are kept. */
export const REGISTERED_CAS_DIR = 'registered-cas';

const CA_ID = /^[0-9a-f]{64}$/;

/**
 * The part of the IoT control plane (the `@aws-sdk/client-iot` routes) that CA registration and
 * JITP need: registration code, Register/Describe/UpdateCACertificate, and reading back what JITP
 * made (DescribeCertificate, DescribeThing, ListThingsInThingGroup, ListAttachedPolicies).
 * Signatures are not checked; registry.json stays the certificate list.
 */
export class ControlPlane {
  private readonly root: string;

  constructor(private readonly deps: ControlPlaneDeps) {
    this.root = resolve(deps.certsDir);
  }

  /** The reply, or undefined when the route is not a control-plane one. */
  async handle(req: ControlPlaneRequest): Promise<ControlPlaneReply | undefined> {
    const parts = req.url.pathname.split('/').slice(1).map(decodeURIComponent);
    const q = req.url.searchParams;
    const route = `${req.method} /${parts[0]}${parts.length > 1 ? '/…' : ''}`;
    switch (route) {
      case 'GET /registrationcode':
        return ok({ registrationCode: this.registrationCode() });
      case 'POST /cacertificate':
        return ok(this.registerCa(await json(req), q));
      case 'GET /cacertificate/…':
        return ok(this.describeCa(parts[1]!));
      case 'PUT /cacertificate/…':
        return ok(this.updateCa(parts[1]!, await json(req), q));
      case 'GET /certificates/…':
        return ok(this.describeCertificate(parts[1]!));
      case 'POST /attached-policies/…':
        return ok(this.attachedPolicies(parts[1]!));
    }
    if (req.method === 'GET' && parts[0] === 'things' && parts.length === 2)
      return ok(this.describeThing(parts[1]!));
    if (req.method === 'GET' && parts[0] === 'thing-groups' && parts[2] === 'things' && parts.length === 3) {
      return ok({ things: this.thingsInGroup(parts[1]!) });
    }
    return undefined;
  }

  private arn(type: string, name: string): string {
    return `arn:${this.deps.scope.partition ?? 'aws'}:iot:${this.deps.scope.region}:${this.deps.scope.accountId}:${type}/${name}`;
  }

  private registrationCode(): string {
    const existing = this.deps.store.read().registrationCode;
    if (existing) return existing;
    return this.deps.store.update((data) => {
      data.registrationCode ??= randomBytes(32).toString('hex');
      return data.registrationCode;
    });
  }

  private registerCa(body: Record<string, unknown>, q: URLSearchParams) {
    const pem = stringField(body, 'caCertificate');
    const ca = parseCert(pem, 'caCertificate');
    if (!ca.ca) throw invalid('caCertificate is not a CA certificate (basicConstraints CA:TRUE)');
    const proof = parseCert(stringField(body, 'verificationCertificate'), 'verificationCertificate');
    if (!proof.verify(ca.publicKey) || proof.subject !== `CN=${this.registrationCode()}`) {
      throw invalid(
        'verificationCertificate must be signed by the CA with CN = the registration code (GetRegistrationCode)',
      );
    }
    const config = this.registrationConfig(body['registrationConfig']);
    const id = idOf(ca);
    const registry = Registry.load(this.root);
    if (registry.find(id)) {
      throw new ControlPlaneError(
        409,
        'ResourceAlreadyExistsException',
        `CA certificate ${id} is already registered`,
      );
    }
    mkdirSync(join(this.root, REGISTERED_CAS_DIR), { recursive: true });
    const certPath = join(REGISTERED_CAS_DIR, `${id}.pem`);
    writeFileSync(join(this.root, certPath), ca.toString());
    const now = new Date(this.deps.clock.now()).toISOString();
    Registry.update(this.root, (r) =>
      r.upsert({
        certificateId: id,
        towerId: null,
        kind: 'ca',
        status: q.get('setAsActive') === 'true' ? 'ACTIVE' : 'INACTIVE',
        serial: ca.serialNumber.toLowerCase(),
        notBefore: new Date(ca.validFrom).toISOString(),
        notAfter: new Date(ca.validTo).toISOString(),
        certPath,
        createdAt: now,
        updatedAt: now,
      }),
    );
    this.deps.store.update((data) => {
      data.caCertificates[id] = {
        autoRegistrationStatus: q.get('allowAutoRegistration') === 'true' ? 'ENABLE' : 'DISABLE',
        ...(config && { registrationConfig: config }),
      };
    });
    this.deps.onCaChange();
    return { certificateArn: this.arn('cacert', id), certificateId: id };
  }

  private updateCa(id: string, body: Record<string, unknown>, q: URLSearchParams) {
    const entry = this.caEntry(id);
    const config = this.registrationConfig(body['registrationConfig']);
    const newStatus = q.get('newStatus');
    if (newStatus !== null && newStatus !== 'ACTIVE' && newStatus !== 'INACTIVE') {
      throw invalid(`newStatus must be ACTIVE or INACTIVE, got ${newStatus}`);
    }
    const auto = q.get('newAutoRegistrationStatus');
    if (auto !== null && auto !== 'ENABLE' && auto !== 'DISABLE') {
      throw invalid(`newAutoRegistrationStatus must be ENABLE or DISABLE, got ${auto}`);
    }
    if (newStatus && newStatus !== entry.status) {
      Registry.update(this.root, (r) => r.setStatus(id, newStatus, new Date(this.deps.clock.now())));
    }
    this.deps.store.update((data) => {
      const current = data.caCertificates[id] ?? { autoRegistrationStatus: 'DISABLE' as const };
      const { registrationConfig: _dropped, ...kept } = current;
      data.caCertificates[id] = {
        ...(body['removeAutoRegistration'] === true ? kept : current),
        ...(auto && { autoRegistrationStatus: auto }),
        ...(config && { registrationConfig: config }),
      };
    });
    this.deps.onCaChange();
    return {};
  }

  private describeCa(id: string) {
    const entry = this.caEntry(id);
    const settings = this.deps.store.read().caCertificates[id];
    return {
      certificateDescription: {
        certificateArn: this.arn('cacert', id),
        certificateId: id,
        status: entry.status,
        certificatePem: readFileSync(join(this.root, entry.certPath), 'utf8'),
        autoRegistrationStatus: settings?.autoRegistrationStatus ?? 'DISABLE',
        creationDate: Date.parse(entry.createdAt) / 1000,
      },
      ...(settings?.registrationConfig && { registrationConfig: settings.registrationConfig }),
    };
  }

  private describeCertificate(id: string) {
    const entry = Registry.load(this.root).find(id);
    if (!entry || entry.kind === 'ca') throw notFound(`certificate ${id}`);
    return {
      certificateDescription: {
        certificateArn: this.arn('cert', id),
        certificateId: id,
        status: entry.status,
        ...(existsSync(join(this.root, entry.certPath)) && {
          certificatePem: readFileSync(join(this.root, entry.certPath), 'utf8'),
        }),
        creationDate: Date.parse(entry.createdAt) / 1000,
        lastModifiedDate: Date.parse(entry.updatedAt) / 1000,
      },
    };
  }

  private describeThing(name: string) {
    const thing = this.deps.store.read().things[name];
    if (!thing) throw notFound(`thing ${name}`);
    return { thingName: name, thingArn: this.arn('thing', name), thingId: name, attributes: {}, version: 1 };
  }

  private thingsInGroup(group: string): string[] {
    return Object.entries(this.deps.store.read().things)
      .filter(([, t]) => t.thingGroups.includes(group))
      .map(([name]) => name);
  }

  private attachedPolicies(target: string) {
    const id = /:cert\/([0-9a-f]{64})$/.exec(target)?.[1];
    if (!id) throw invalid(`target ${target} is not a certificate ARN`);
    const names = this.deps.store.read().policyAttachments[id] ?? [];
    return {
      policies: names.map((policyName) => ({ policyName, policyArn: this.arn('policy', policyName) })),
    };
  }

  private caEntry(id: string): RegistryEntry {
    if (!CA_ID.test(id)) throw invalid(`caCertificateId ${id} is not a certificate id (64 hex digits)`);
    const entry = Registry.load(this.root).find(id);
    if (entry?.kind !== 'ca') throw notFound(`CA certificate ${id}`);
    return entry;
  }

  /** A template must parse and a named one must exist here, so a bad one fails at registration. */
  private registrationConfig(value: unknown): RegistrationConfig | undefined {
    if (value === undefined) return undefined;
    const parsed = RegistrationConfigSchema.safeParse(value);
    if (!parsed.success) throw invalid(`registrationConfig: ${parsed.error.issues[0]!.message}`);
    const config = parsed.data;
    if (config.templateBody !== undefined) {
      try {
        parseJitpTemplateBody(config.templateBody);
      } catch (e) {
        throw invalid(`registrationConfig.${(e as Error).message}`);
      }
    } else if (config.templateName !== undefined && !this.deps.templates.has(config.templateName)) {
      throw notFound(`provisioning template ${config.templateName}`);
    }
    return config;
  }
}

const ok = (body: unknown): ControlPlaneReply => ({ status: 200, body });
const invalid = (message: string) => new ControlPlaneError(400, 'InvalidRequestException', message);
const notFound = (what: string) =>
  new ControlPlaneError(404, 'ResourceNotFoundException', `${what} does not exist`);

async function json(req: ControlPlaneRequest): Promise<Record<string, unknown>> {
  const text = (await req.body()).toString('utf8');
  if (text.length === 0) return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {}
  throw invalid('the request body is not a JSON object');
}

function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value.length === 0) throw invalid(`${name} is required`);
  return value;
}

function parseCert(pem: string, field: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw invalid(`${field} is not a PEM certificate`);
  }
}

function idOf(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('hex');
}
