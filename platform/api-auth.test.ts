import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { bearerToken, parseTokens, requiredScope } from './api-auth';
import { ConfigError } from './config';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

describe('tokens file', () => {
  it('reads SCOPE TOKEN [NAME] lines, comments and blank lines', () => {
    const table = parseTokens(`# ops\n\nread ${A} dashboards\nadmin ${B}   # the on-call\n`, 'tokens');
    expect([...table.values()]).toEqual([{ scope: 'read', name: 'dashboards' }, { scope: 'admin', name: 'admin token on line 4' }]);
    // Only digests are kept.
    expect([...table.keys()].some((k) => k.includes(A))).toBe(false);
  });

  it('names the line of a bad entry', () => {
    expect(() => parseTokens(`read ${A}\nwrite ${B}\n`, 'f')).toThrow(new ConfigError('f:2: scope must be read or admin, got "write"'));
    expect(() => parseTokens('read short\n', 'f')).toThrow(/f:1: a token must be 16-512 characters/);
    expect(() => parseTokens(`read ${A}\nadmin ${A}\n`, 'f')).toThrow(/f:2: this token is already listed \(read token on line 1\)/);
    expect(() => parseTokens(`read ${A} name extra\n`, 'f')).toThrow(/f:1: expected "SCOPE TOKEN \[NAME\]"/);
    expect(() => parseTokens('# nothing\n', 'f')).toThrow(/f: no tokens/);
  });
});

describe('scopes', () => {
  it('read methods need read, every other public method admin, member services and health nothing', () => {
    for (const path of ['/relaycast.v1.Broadcasts/GetBroadcast', '/relaycast.v1.Broadcasts/ListBroadcasts', '/relaycast.v1.Broadcasts/WatchBroadcast', '/relaycast.v1.Broadcasts/ListDeadLetters', '/relaycast.v1.Membership/ListNodes', '/relaycast.v1.Membership/Watch', '/relaycast.v1.Admin/GetStatus']) {
      expect(requiredScope(path), path).toBe('read');
    }
    for (const path of ['/relaycast.v1.Broadcasts/CreateBroadcast', '/relaycast.v1.Broadcasts/UploadAudience', '/relaycast.v1.Broadcasts/CancelBroadcast', '/relaycast.v1.Broadcasts/PauseBroadcast', '/relaycast.v1.Broadcasts/ResumeBroadcast', '/relaycast.v1.Broadcasts/RetryDeadLetters', '/relaycast.v1.Membership/Register', '/relaycast.v1.Membership/Deregister', '/relaycast.v1.Admin/DrainNode', '/relaycast.v1.Admin/SomethingNew']) {
      expect(requiredScope(path), path).toBe('admin');
    }
    for (const path of ['/relaycast.v1.NodeSession/Session', '/relaycast.v1.RelayLink/Link', '/relaycast.v1.ShardData/ReadAudience', '/grpc.health.v1.Health/Check', '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo']) {
      expect(requiredScope(path), path).toBeUndefined();
    }
  });

  it('takes the token from a Bearer authorization header only', () => {
    const md = (value?: string) => {
      const m = new grpc.Metadata();
      if (value !== undefined) m.set('authorization', value);
      return m;
    };
    expect(bearerToken(md(`Bearer ${A}`))).toBe(A);
    expect(bearerToken(md(`bearer   ${A} `))).toBe(A);
    expect(bearerToken(md(`Basic ${A}`))).toBeUndefined();
    expect(bearerToken(md())).toBeUndefined();
  });
});
