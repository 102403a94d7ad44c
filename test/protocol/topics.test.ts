import { describe, expect, it } from 'vitest';
import {
  commandTopic,
  deviceTopic,
  InvalidTopicError,
  InvalidTowerIdError,
  parseTopic,
  shadowTopic,
  topicMatches,
  validateTopicFilter,
  validateTopicName,
} from '../../protocol/index.js';

describe('topics', () => {
  it('builds and parses device topics', () => {
    const t = deviceTopic('tower-7', 'telemetry');
    expect(t).toBe('dt/towerwatch/tower-7/telemetry');
    expect(parseTopic(t)).toEqual({ kind: 'device', towerId: 'tower-7', type: 'telemetry' });
  });

  it('rejects tower ids outside the rule with the field named', () => {
    for (const bad of ['', 'a/b', 'x'.repeat(65), 'tow er', 'tower+', '#', 'é']) {
      expect(() => deviceTopic(bad, 'alert')).toThrow(InvalidTowerIdError);
    }
    expect(() => deviceTopic('a/b', 'alert')).toThrow(/towerId/);
    expect(deviceTopic('x'.repeat(64), 'alert')).toContain('x'.repeat(64));
  });

  it('builds named and classic shadow topics and parses them back', () => {
    const named = shadowTopic('t1', 'config', 'update', 'delta');
    expect(named).toBe('$aws/things/t1/shadow/name/config/update/delta');
    expect(parseTopic(named)).toEqual({
      kind: 'shadow',
      thingName: 't1',
      shadowName: 'config',
      op: 'update',
      reply: 'delta',
    });
    const classic = shadowTopic('t1', undefined, 'get', 'accepted');
    expect(classic).toBe('$aws/things/t1/shadow/get/accepted');
    expect(parseTopic(classic)).toEqual({ kind: 'shadow', thingName: 't1', op: 'get', reply: 'accepted' });
    expect(() => shadowTopic('t1', 'config', 'get', 'delta')).toThrow(InvalidTopicError);
  });

  it('parses commands and presence events', () => {
    expect(parseTopic(commandTopic('t1', 'reboot'))).toEqual({
      kind: 'command',
      towerId: 't1',
      command: 'reboot',
    });
    expect(parseTopic('$aws/events/presence/disconnected/t9')).toEqual({
      kind: 'presence',
      event: 'disconnected',
      clientId: 't9',
    });
  });

  it('refuses wildcards, too many levels, oversize and foreign topics', () => {
    expect(() => validateTopicName('dt/towerwatch/+/telemetry')).toThrow(/wildcard/);
    expect(() => validateTopicName('dt/towerwatch/#')).toThrow(/wildcard/);
    expect(() => validateTopicName('a/b/c/d/e/f/g/h/i')).toThrow(/8 slashes/);
    expect(validateTopicName('a/b/c/d/e/f/g/h')).toBe('a/b/c/d/e/f/g/h');
    // reserved $aws topics get their first three slashes for free
    expect(validateTopicName('$aws/things/t/shadow/name/config/update/accepted')).toBeTruthy();
    expect(() => validateTopicName(`a/${'x'.repeat(256)}`)).toThrow(/256 bytes/);
    expect(() => parseTopic('dt/towerwatch/t1/bogus')).toThrow(/message type/);
    expect(() => parseTopic('dt/other/t1/telemetry')).toThrow(InvalidTopicError);
    expect(() => commandTopic('t1', 'a/b/c')).toThrow(InvalidTopicError);
  });

  it('validates and matches topic filters like an MQTT broker', () => {
    expect(() => validateTopicFilter('a/#/b')).toThrow(/'#'/);
    expect(() => validateTopicFilter('a/b+')).toThrow(/'\+'/);
    expect(topicMatches('dt/towerwatch/+/telemetry', 'dt/towerwatch/t1/telemetry')).toBe(true);
    expect(topicMatches('dt/towerwatch/+/telemetry', 'dt/towerwatch/t1/alert')).toBe(false);
    expect(topicMatches('dt/#', 'dt')).toBe(true);
    expect(topicMatches('dt/#', 'dt/a/b')).toBe(true);
    expect(topicMatches('#', '$aws/events/presence/connected/x')).toBe(false);
    expect(topicMatches('+/events/#', '$aws/events/x')).toBe(false);
    expect(topicMatches('$aws/events/presence/+/+', '$aws/events/presence/connected/x')).toBe(true);
    expect(topicMatches('a/+', 'a/b/c')).toBe(false);
  });
});
