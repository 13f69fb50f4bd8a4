/**
 * A gateway that refuses every call (a webhook answering HTTP 403, as one
 * whose credential was revoked would) must not stall a broadcast: a real
 * coordinator and node deliver to a tiny webhook in this test; every item is
 * tried --delivery-attempts-max times, then dead-lettered with the gateway's
 * reason, and the broadcast COMPLETES with the counts adding up. The node
 * says so in its metrics and logs.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster, type ManagedProcess } from '../testing/local-cluster';
import { broadcastsClient, unary } from '../client/client';
import type { BroadcastsClient } from '../protocol/generated/relaycast/v1/Broadcasts';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import type { DeadLetter__Output } from '../protocol/generated/relaycast/v1/DeadLetter';
import { lastOutput, until } from './helpers';
import { metricValue, scrape } from './probes';

// These tests talk plaintext to processes on loopback (no TLS files).
process.env.RELAYCAST_PLAINTEXT ??= 'true';

const RECIPIENTS = 300;
const SHARD_SIZE = 100;
const ATTEMPTS_MAX = 3;
const REFUSAL = 'token revoked';

describe('a gateway that refuses every call', () => {
  const cluster = new LocalCluster('relaycast-refusal-');
  let webhook: http.Server;
  /** Idempotency key → how many times it reached the webhook. */
  const seen = new Map<string, number>();
  let calls = 0;
  let node: ManagedProcess;
  let nodeMetrics: string;
  let broadcasts: BroadcastsClient;

  beforeAll(async () => {
    webhook = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        calls += 1;
        if (req.url === '/deliver') {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { items: Array<{ idempotencyKey: string }> };
          for (const item of body.items) seen.set(item.idempotencyKey, (seen.get(item.idempotencyKey) ?? 0) + 1);
        }
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: REFUSAL }));
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    const gateway = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}`;
    const coordinator = await cluster.startCoordinator();
    node = await cluster.startNode('n1', { coordinator: coordinator.address }, [
      '--gateway', gateway,
      '--delivery-attempts-max', String(ATTEMPTS_MAX),
      '--gateway-retry-min-ms', '20',
      '--gateway-retry-max-ms', '100',
      '--metrics-listen', '127.0.0.1:0',
    ]);
    nodeMetrics = String((await node.ready()).metricsAddress);
    broadcasts = broadcastsClient(coordinator.address);
  }, 60_000);

  afterAll(async () => {
    broadcasts?.close();
    await cluster.stopAll();
    webhook?.closeAllConnections();
    await new Promise((resolve) => webhook?.close(resolve));
  });

  it('tries each item --delivery-attempts-max times, dead-letters it with the gateway\'s reason, and completes the broadcast', async () => {
    const audience = Array.from({ length: RECIPIENTS }, (_, i) => ({ id: `u${i}`, vars: [] }));
    const { broadcastId } = await unary(broadcasts, 'CreateBroadcast', { clusterId: 'default', template: 'hello {{recipient.id}}', audience, options: { shardSize: SHARD_SIZE } }, 30_000);
    let final: Broadcast__Output | undefined;
    await until(async () => {
      final = await unary(broadcasts, 'GetBroadcast', { broadcastId });
      return final.state === 'BROADCAST_STATE_COMPLETED';
    }, 'the broadcast to complete', 30_000, 100).catch((err: Error) => {
      throw new Error(`${err.message}; it is ${final?.state} with ${JSON.stringify(final?.counts)}; ${lastOutput(node, 5)}`);
    });

    // Every recipient in exactly one final state: dead-lettered.
    expect(final!.counts).toMatchObject({ total: RECIPIENTS, delivered: 0, skippedUnreachable: 0, deadLettered: RECIPIENTS });

    // Each with the gateway's own words, after the number of attempts allowed.
    const deadLetters: DeadLetter__Output[] = [];
    let pageToken = '';
    do {
      const page = await unary(broadcasts, 'ListDeadLetters', { broadcastId, pageSize: 500, pageToken });
      deadLetters.push(...page.deadLetters);
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(deadLetters.map((d) => Number(d.sequence)).sort((a, b) => a - b)).toEqual(Array.from({ length: RECIPIENTS }, (_, i) => i));
    expect(new Set(deadLetters.map((d) => d.reason))).toEqual(new Set([`gateway refused: HTTP 403: ${REFUSAL}`]));
    expect(new Set(deadLetters.map((d) => d.attempts))).toEqual(new Set([ATTEMPTS_MAX]));

    // The gateway saw each item exactly that many times: refused items are not hammered, nor given up early.
    expect(seen.size).toBe(RECIPIENTS);
    expect(new Set(seen.values())).toEqual(new Set([ATTEMPTS_MAX]));

    // The node's metrics count the refusals and the dead letters by reason; nothing is held.
    const samples = await scrape(nodeMetrics);
    expect(metricValue(samples, 'relaycast_node_gateway_refusals_total')).toBe(calls);
    expect(metricValue(samples, 'relaycast_node_deliveries_total', { result: 'gateway_refused' })).toBe(RECIPIENTS * ATTEMPTS_MAX);
    expect(metricValue(samples, 'relaycast_node_deliveries_total', { result: 'dead_lettered' })).toBe(RECIPIENTS);
    expect(metricValue(samples, 'relaycast_node_deliveries_total', { result: 'gateway_unavailable' })).toBe(0);
    expect(metricValue(samples, 'relaycast_node_dead_letters_total', { reason: 'gateway_refused' })).toBe(RECIPIENTS);
    expect(metricValue(samples, 'relaycast_node_outbox_items')).toBe(0);
    // A refusal is an answer: the node does not hold deliveries waiting for the gateway to "recover".
    expect(metricValue(samples, 'relaycast_node_gateway_healthy')).toBe(1);

    // And it says so in its log, at warn, with the broadcast and shard.
    const warned = node.lines
      .map((line) => {
        try {
          return JSON.parse(line) as { level?: number; broadcastId?: string; shardId?: number; byClass?: { gateway_refused?: number } };
        } catch {
          return undefined;
        }
      })
      .filter((entry) => entry?.level === 40 && entry.broadcastId === broadcastId && (entry.byClass?.gateway_refused ?? 0) > 0);
    expect(warned.reduce((n, entry) => n + entry!.byClass!.gateway_refused!, 0)).toBe(RECIPIENTS);
    expect(warned.every((entry) => typeof entry!.shardId === 'number')).toBe(true);
  }, 60_000);
});
