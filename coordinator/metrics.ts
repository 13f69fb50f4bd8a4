/** The coordinator's Prometheus metrics (docs/metrics.md), read from its shell at scrape time. */
import type { ProcessMetrics } from '../platform/metrics';
import type { MemberState } from './core/registry';
import type { BroadcastStateName } from './core/scheduler';
import type { Coordinator } from './coordinator';

const MEMBER_STATES: readonly MemberState[] = ['ALIVE', 'SUSPECT', 'DOWN', 'DRAINING', 'LEFT'];
const BROADCAST_STATES: readonly BroadcastStateName[] = ['PENDING', 'RUNNING', 'PAUSED', 'COMPLETED', 'CANCELLED', 'FAILED'];

/** Around the default down-after (2 s) and the tuned ≤ 500 ms, up to slow settings. */
const DETECTION_SECONDS_BUCKETS = [0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 4, 5, 10, 30, 60];
/** The goal is ≤ 100 ms; a healthy coordinator takes a few ms. */
const REASSIGNMENT_SECONDS_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/**
 * The failure detector names the silence it saw in the DOWN reason
 * ("no liveness for 2002 ms", with " (connection closed)" when its session
 * ended first); it forgets the member's liveness in the same
 * step, so the reason is the only place the shell can read it from.
 */
const DOWN_SILENCE_MS = /^no liveness for (\d+(?:\.\d+)?) ms(?: \(connection closed\))?$/;

export function registerCoordinatorMetrics(metrics: ProcessMetrics, coordinator: Coordinator): void {
  const { registry, scheduler, stats } = coordinator;

  metrics.gaugeFrom('relaycast_coordinator_members', 'Registered members by cluster, kind (node, relay) and state.', () => {
    // Every state of a (cluster, kind) that exists is reported, zeros included, so series do not vanish.
    const groups = new Map<string, { cluster: string; kind: string; counts: Map<MemberState, number> }>();
    for (const record of registry.list('')) {
      const id = `${record.clusterId}/${record.kind}`;
      let group = groups.get(id);
      if (group === undefined) groups.set(id, (group = { cluster: record.clusterId, kind: record.kind.toLowerCase(), counts: new Map(MEMBER_STATES.map((state) => [state, 0])) }));
      group.counts.set(record.state, group.counts.get(record.state)! + 1);
    }
    return [...groups.values()].flatMap(({ cluster, kind, counts }) =>
      [...counts].map(([state, count]): [Record<string, string>, number] => [{ cluster, kind, state: state.toLowerCase() }, count]));
  }, ['cluster', 'kind', 'state']);

  metrics.gaugeFrom('relaycast_coordinator_broadcasts', 'Broadcasts by state.', () => {
    const counts = new Map<string, number>(BROADCAST_STATES.map((state) => [state, 0]));
    for (const meta of scheduler.list('')) counts.set(meta.state, (counts.get(meta.state) ?? 0) + 1);
    return [...counts].map(([state, count]): [Record<string, string>, number] => [{ state: state.toLowerCase() }, count]);
  }, ['state']);

  metrics.counterFrom('relaycast_coordinator_liveness_packets_total', 'Liveness packets received from nodes, directly (via="direct") or inside relay batches (via="relay").',
    () => ({ direct: stats.livenessPackets - stats.relayedLivenessPackets, relay: stats.relayedLivenessPackets }), 'via');
  metrics.counterFrom('relaycast_coordinator_relay_batches_total', 'Batches received from relays.', () => stats.relayBatches);
  metrics.gaugeFrom('relaycast_coordinator_direct_sessions', 'Open NodeSession streams of nodes attached directly.', () => coordinator.routeCounts().direct);
  metrics.gaugeFrom('relaycast_coordinator_relay_links', 'Open RelayLink streams.', () => coordinator.routeCounts().relay);
  metrics.gaugeFrom('relaycast_coordinator_watchers', 'Open Membership.Watch streams.', () => coordinator.watchHub.watcherCount);
  metrics.gaugeFrom('relaycast_coordinator_checkpoint_lag_seconds',
    'Age of the oldest shard progress the coordinator accepted (and acknowledged) but has not written to LevelDB yet; 0 when every accepted change is written. Bounded by --checkpoint-interval-ms plus the write time when healthy.',
    () => coordinator.checkpointLagMs() / 1000);

  const detection = metrics.histogram('relaycast_coordinator_detection_latency_seconds',
    'From a member\'s last liveness (as it reached the coordinator or its relay) to its DOWN event being persisted and published, by kind.',
    DETECTION_SECONDS_BUCKETS, ['kind']);
  const reassignment = metrics.histogram('relaycast_coordinator_reassignment_latency_seconds',
    'From a node\'s DOWN to the orders for its whole unfinished remainder being sent.', REASSIGNMENT_SECONDS_BUCKETS);
  coordinator.appliedListeners.add(({ events, takeoverLatenciesMs }) => {
    for (const event of events) {
      if (event.type !== 'DOWN') continue;
      const silence = DOWN_SILENCE_MS.exec(event.reason);
      if (silence === null) continue;
      // The event was stamped when decided; it is published only after the write.
      const publishDelayMs = Math.max(0, coordinator.clock.wallMs() - event.atUnixMs);
      detection.observe({ kind: event.member.kind.toLowerCase() }, (Number(silence[1]) + publishDelayMs) / 1000);
    }
    for (const ms of takeoverLatenciesMs) reassignment.observe(ms / 1000);
  });
}
