import { describe, expect, it } from 'vitest';
import { compilePolicy, evaluatePolicy, PolicyError, resourceArn } from '../../../local/iot/index.js';
import type { ConnectionContext, IotPolicyDocument } from '../../../local/iot/policy/index.js';
import { towerPolicyDocument } from '../../../protocol/index.js';

const scope = { region: 'local', accountId: '000000000000' };
const tower = compilePolicy(towerPolicyDocument(scope));
const attached: ConnectionContext = { clientId: 'tower-1', thingName: 'tower-1', isAttached: true };
const arn = (action: Parameters<typeof resourceArn>[1], name: string) => resourceArn(scope, action, name);

describe('IoT policy evaluation of the tower policy', () => {
  it.each([
    ['iot:Connect', 'tower-1', attached, 'Allow'],
    ['iot:Connect', 'tower-1', { clientId: 'tower-1', isAttached: false }, 'ImplicitDeny'],
    ['iot:Connect', 'tower-2', { clientId: 'tower-2', isAttached: false }, 'ImplicitDeny'],
    ['iot:Publish', 'dt/towerwatch/tower-1/telemetry', attached, 'Allow'],
    ['iot:Publish', 'dt/towerwatch/tower-2/telemetry', attached, 'ImplicitDeny'],
    ['iot:Publish', 'cmd/towerwatch/tower-1/reboot', attached, 'ImplicitDeny'],
    ['iot:Publish', '$aws/things/tower-1/shadow/name/config/update', attached, 'Allow'],
    ['iot:Publish', '$aws/things/tower-1/shadow/name/config/delete', attached, 'ImplicitDeny'],
    ['iot:Publish', '$aws/things/tower-1/shadow/name/twin/update', attached, 'ImplicitDeny'],
    ['iot:Subscribe', 'cmd/towerwatch/tower-1/#', attached, 'Allow'],
    ['iot:Subscribe', 'cmd/towerwatch/+/#', attached, 'ImplicitDeny'],
    ['iot:Subscribe', '$aws/things/tower-1/shadow/name/config/update/delta', attached, 'Allow'],
    ['iot:Receive', 'cmd/towerwatch/tower-1/reboot', attached, 'Allow'],
    ['iot:Receive', 'cmd/towerwatch/tower-2/reboot', attached, 'ImplicitDeny'],
    [
      'iot:Publish',
      'dt/towerwatch/tower-1/telemetry',
      { clientId: 'tower-1', isAttached: false },
      'ImplicitDeny',
    ],
  ] as const)('%s %s → %s', (action, name, ctx, expected) => {
    expect(evaluatePolicy(tower, ctx, action, arn(action, name))).toBe(expected);
  });

  it('lets an explicit Deny win over an Allow, and honours ?, * and ${iot:ClientId}', () => {
    const doc: IotPolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['iot:*'],
          Resource: ['arn:aws:iot:local:000000000000:topic/room/${iot:ClientId}/*'],
        },
        {
          Effect: 'Deny',
          Action: ['iot:Publish'],
          Resource: ['arn:aws:iot:local:000000000000:topic/room/*/secret?'],
        },
      ],
    };
    const p = compilePolicy(doc);
    const c = { clientId: 'c1', isAttached: false };
    expect(evaluatePolicy(p, c, 'iot:Publish', arn('iot:Publish', 'room/c1/a'))).toBe('Allow');
    expect(evaluatePolicy(p, c, 'iot:Publish', arn('iot:Publish', 'room/c1/secret1'))).toBe('ExplicitDeny');
    expect(evaluatePolicy(p, c, 'iot:Publish', arn('iot:Publish', 'room/c1/secret12'))).toBe('Allow');
    expect(evaluatePolicy(p, c, 'iot:Receive', arn('iot:Receive', 'room/c2/a'))).toBe('ImplicitDeny');
    // a variable's value is literal text, never a wildcard
    const star = { clientId: '*', isAttached: false };
    expect(evaluatePolicy(p, star, 'iot:Publish', arn('iot:Publish', 'room/c1/a'))).toBe('ImplicitDeny');
  });

  it('refuses what it cannot enforce faithfully, naming the statement', () => {
    const base = { Effect: 'Allow', Action: ['iot:Connect'], Resource: ['*'] } as const;
    const bad = (s: object) => () => compilePolicy({ Version: '2012-10-17', Statement: [s as never] });
    expect(bad({ ...base, Resource: ['${iot:Connection.Thing.Attributes[x]}'] })).toThrow(
      /Statement\[0\].*unsupported policy variable/,
    );
    expect(bad({ ...base, Condition: { DateGreaterThan: { x: '1' } } })).toThrow(
      /Condition.DateGreaterThan is not supported/,
    );
    expect(bad({ ...base, NotResource: ['*'] })).toThrow(PolicyError);
    expect(bad({ ...base, Effect: 'Maybe' })).toThrow(/Effect must be Allow or Deny/);
  });
});
