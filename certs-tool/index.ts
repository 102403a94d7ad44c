/**
 * certs-tool as a library: the local IoT Core broker and `npm start` provision and check identities
 * through these functions; the `certs-tool` CLI (main.ts) is a thin shell over them.
 */
export { type RegisterTowerOptions, type RegisterTowerResult, registerTower } from './aws/register.js';
export {
  type JitpRegistration,
  type RegisterCaOptions,
  type RegisterCaResult,
  registerCa,
} from './aws/register-ca.js';
export { CA_DEFAULT_DAYS, CA_DEFAULT_NAME, initCa, type LoadedCa, loadCa, readCaCertificate } from './ca.js';
export * from './errors.js';
export { ensureFleet } from './fleet.js';
export {
  amazonRootCa1,
  GREENGRASS_FILES,
  greengrassConfigYaml,
  writeGreengrassConfig,
} from './greengrass.js';
export { inspectCertificate } from './inspect.js';
export { createCsr, createDeviceCsr, signCsr } from './csr.js';
export { issueDeviceCertificate } from './device.js';
export { type BatchOptions, type BatchResult, issueDeviceCertificates } from './batch.js';
export { MAX_BATCH, numberedTowerIds, parseTowerList } from './tower-list.js';
export { issueServerCertificate, SERVER_LOOPBACK_NAMES } from './server.js';
export {
  caCertPath,
  type CertsLayout,
  certsLayout,
  DEFAULT_CERTS_DIR,
  type IdentityPaths,
} from './layout.js';
export { type RotationResult, recordCertificateUse, revokeTower, rotateTower } from './lifecycle.js';
export { certificateId } from './pki.js';
export {
  CERT_STATUSES,
  type CertStatus,
  REGISTRY_FILE,
  Registry,
  type RegistryData,
  type RegistryEntry,
  RegistryEntrySchema,
  RegistrySchema,
} from './registry.js';
export { needsRenewal, parseDuration } from './renewal.js';
export * from './types.js';
export { type VerifyOptions, verifyCertificate } from './verify.js';
