import type { CfnResource } from 'aws-cdk-lib';

/**
 * cfn-lint suppressions in the template itself (resource Metadata, as cfn-lint reads them), so each
 * one sits beside the code that causes it with its reason, like cdk-nag's acknowledgements.
 */
export function ignoreCfnLint(resource: CfnResource, rule: string, reason: string): void {
  const current = (resource.getMetadata('cfn-lint') as { config?: { ignore_checks?: string[] } }) ?? {};
  const checks = new Set([...(current.config?.ignore_checks ?? []), rule]);
  resource.addMetadata('cfn-lint', { config: { ignore_checks: [...checks] } });
  const reasons = (resource.getMetadata('towerwatch:cfn-lint-reasons') as Record<string, string>) ?? {};
  resource.addMetadata('towerwatch:cfn-lint-reasons', { ...reasons, [rule]: reason });
}
