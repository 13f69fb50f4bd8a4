import { describe, expect, it } from 'vitest';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import type { GetStatusResponse__Output } from '../protocol/generated/relaycast/v1/GetStatusResponse';
import { broadcastSummary, countByState, eventLine, stateCounts, table } from './format';
import { intParser, parseAddress, parseSequences, parseTime } from './option-parsers';

describe('table', () => {
  it('pads every column but the last to its widest cell', () => {
    expect(table(['ID', 'STATE', 'NOTE'], [['a', 'RUNNING', 'x'], ['long-id', 'OK', '']])).toBe([
      'ID       STATE    NOTE',
      'a        RUNNING  x',
      'long-id  OK',
    ].join('\n'));
  });
});

describe('summaries', () => {
  it('broadcastSummary gives the counts and points at the dead letters', () => {
    const b: Broadcast__Output = {
      broadcastId: 'bc-1', clusterId: 'default', state: 'BROADCAST_STATE_COMPLETED', shards: [], template: 't', options: null, requestId: '',
      counts: { total: 1000, delivered: 900, skippedUnreachable: 90, deadLettered: 10, inFlight: 0, pending: 0 },
      createdAtUnixMs: 1000, finishedAtUnixMs: 4500,
    };
    expect(broadcastSummary(b)).toBe([
      'broadcast bc-1 COMPLETED in 3.5 s',
      '  delivered      900',
      '  skipped        90 (unreachable)',
      '  dead-lettered  10  (relaycast broadcast dead-letters bc-1)',
      '  total          1,000',
    ].join('\n'));
  });

  it('counts members by state per kind', () => {
    const status = { members: [
      { kind: 'MEMBER_KIND_NODE', state: 'NODE_STATE_ALIVE', count: 3 },
      { kind: 'MEMBER_KIND_NODE', state: 'NODE_STATE_DOWN', count: 1 },
      { kind: 'MEMBER_KIND_RELAY', state: 'NODE_STATE_ALIVE', count: 2 },
    ] } as unknown as GetStatusResponse__Output;
    expect(countByState(status, 'MEMBER_KIND_NODE')).toEqual({ alive: 3, down: 1 });
    expect(stateCounts(countByState(status, 'MEMBER_KIND_NODE'))).toBe('3 alive, 1 down');
    expect(stateCounts({})).toBe('none');
  });

  it('eventLine', () => {
    const line = eventLine({ revision: 7, type: 'EVENT_TYPE_DOWN', reason: 'no liveness for 2002 ms', atUnixMs: Date.UTC(2025, 0, 1), node: { nodeKey: 'default/n1', kind: 'MEMBER_KIND_NODE', leaseEpoch: 2 } } as never);
    expect(line).toBe('2025-01-01T00:00:00.000Z  rev 7  DOWN       node default/n1 (epoch 2)  no liveness for 2002 ms');
  });
});

describe('option parsers', () => {
  it('addresses', () => {
    expect(parseAddress('127.0.0.1:7070')).toBe('127.0.0.1:7070');
    expect(parseAddress('[::1]:7070')).toBe('[::1]:7070');
    expect(() => parseAddress('localhost')).toThrow(/expected HOST:PORT/);
    expect(() => parseAddress('a:70000')).toThrow(/expected HOST:PORT/);
    expect(() => parseAddress('a:0')).toThrow(/expected HOST:PORT/);
  });

  it('whole numbers in range', () => {
    expect(intParser(1, 10)('7')).toBe(7);
    expect(() => intParser(1, 10)('0')).toThrow(/outside 1\.\.10/);
    expect(() => intParser(1, 10)('1.5')).toThrow(/whole number/);
  });

  it('times', () => {
    expect(parseTime('1700000000000')).toBe(1_700_000_000_000);
    expect(parseTime('2025-06-01T09:00:00Z')).toBe(Date.UTC(2025, 5, 1, 9));
    expect(() => parseTime('tomorrow')).toThrow(/ISO-8601/);
    expect(() => parseTime('2025-13-45')).toThrow(/ISO-8601/);
  });

  it('sequence lists', () => {
    expect(parseSequences('3, 17,42')).toEqual([3, 17, 42]);
    expect(() => parseSequences('3,x')).toThrow(/"x" is not a sequence number/);
    expect(() => parseSequences(',')).toThrow(/comma-separated/);
  });
});
