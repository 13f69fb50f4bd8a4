import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../platform/clock';
import { Aggregator, type AggregatorConfig, type LeafAction, type SessionId } from './aggregator';
import type { NodeMessage__Output } from '../../protocol/generated/relaycast/v1/NodeMessage';
import type { BatchAck__Output } from '../../protocol/generated/relaycast/v1/BatchAck';
import type { LeafBatch } from '../../protocol/generated/relaycast/v1/LeafBatch';
import type { LeafDelivery__Output } from '../../protocol/generated/relaycast/v1/LeafDelivery';
import type { LeafRejection__Output } from '../../protocol/generated/relaycast/v1/LeafRejection';

/** gRPC status codes, spelled out so the assertions read as the protocol does. */
const CODE = { OK: 0, INVALID_ARGUMENT: 3, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10 } as const;

const CLUSTER = 'c';
const keyOf = (nodeId: string): string => `${CLUSTER}/${nodeId}`;

// ---------------------------------------------------------------- messages in

function attachMsg(nodeId: string, leaseEpoch = 0, instanceId = `i-${nodeId}`): NodeMessage__Output {
  return {
    msg: 'attach',
    attach: {
      register: { clusterId: CLUSTER, nodeId, address: '', labels: [], capacityWeight: 1, instanceId },
      leaseEpoch,
    },
  };
}

function livenessMsg(seq: number, leaseEpoch: number): NodeMessage__Output {
  return { msg: 'liveness', liveness: { seq, leaseEpoch, progress: [] } };
}

function leaveMsg(leaseEpoch: number): NodeMessage__Output {
  return { msg: 'leave', leave: { leaseEpoch } };
}

function ack(batchId: number, parts: { rejected?: LeafRejection__Output[]; deliveries?: LeafDelivery__Output[] } = {}): BatchAck__Output {
  return { batchId, rejected: parts.rejected ?? [], deliveries: parts.deliveries ?? [] };
}

function rejection(nodeId: string, code: number, message: string): LeafRejection__Output {
  return { nodeKey: keyOf(nodeId), code, message };
}

function welcomeDelivery(nodeId: string, leaseEpoch: number): LeafDelivery__Output {
  return {
    nodeKey: keyOf(nodeId),
    message: {
      msg: 'welcome',
      welcome: {
        registration: { nodeKey: keyOf(nodeId), leaseEpoch, heartbeatIntervalMs: 500, downAfterMs: 2000, leaseTtlMs: 1500, revision: 1 },
        resumed: false,
      },
    },
    closeCode: 0,
    closeMessage: '',
  };
}

function closeDelivery(nodeId: string, closeCode: number, closeMessage: string): LeafDelivery__Output {
  return { nodeKey: keyOf(nodeId), message: null, closeCode, closeMessage };
}

// ---------------------------------------------------------------- batches out

interface SentLiveness {
  key: string;
  seq: number;
  epoch: number;
  ageMs: number;
}

interface SentMessage {
  key: string;
  kind: string | undefined;
  leaseEpoch: number | undefined;
  ageMs: number;
}

interface Sent {
  batchId: number;
  liveness: SentLiveness[];
  messages: SentMessage[];
  detached: string[];
}

/** A batch as plain numbers and strings, for readable assertions. */
function readBatch(batch: LeafBatch): Sent {
  return {
    batchId: Number(batch.batchId),
    liveness: (batch.liveness ?? []).map((l) => ({ key: l.nodeKey!, seq: Number(l.seq), epoch: Number(l.leaseEpoch), ageMs: l.ageMs! })),
    messages: (batch.messages ?? []).map((m) => {
      const msg = m.message!;
      const leaseEpoch = msg.msg === 'attach' ? msg.attach?.leaseEpoch : msg.msg === 'leave' ? msg.leave?.leaseEpoch : undefined;
      return { key: m.nodeKey!, kind: msg.msg, leaseEpoch: leaseEpoch === undefined ? undefined : Number(leaseEpoch), ageMs: m.ageMs! };
    }),
    detached: batch.detached ?? [],
  };
}

// ---------------------------------------------------------------- harness

const DEFAULTS: AggregatorConfig = { batchEntriesMax: 100, batchesInFlightMax: 8, leavesMax: 100 };

class Harness {
  readonly clock = new ManualClock(1_000);
  readonly agg: Aggregator;
  private nextSession: SessionId = 1;

  constructor(config: Partial<AggregatorConfig> = {}, upstreamReady = true) {
    this.agg = new Aggregator({ ...DEFAULTS, ...config }, this.clock);
    if (upstreamReady) this.agg.onUpstreamReady();
  }

  send(sessionId: SessionId, message: NodeMessage__Output): void {
    this.agg.onLeafMessage(sessionId, message);
  }

  /** Opens a session and attaches it; the attach stays pending. */
  attach(nodeId: string, leaseEpoch = 0, instanceId?: string): SessionId {
    const sessionId = this.nextSession++;
    this.send(sessionId, attachMsg(nodeId, leaseEpoch, instanceId));
    return sessionId;
  }

  /** Attaches, forwards the attach and delivers the coordinator's welcome; no actions left over. */
  welcomed(nodeId: string, epoch: number): SessionId {
    const sessionId = this.attach(nodeId);
    const batch = this.flush();
    this.agg.onBatchAck(ack(batch.batchId, { deliveries: [welcomeDelivery(nodeId, epoch)] }));
    this.agg.take();
    return sessionId;
  }

  /** The next batch; fails the test when the aggregator holds it back. */
  flush(): Sent {
    const batch = this.agg.flush();
    expect(batch, 'flush() should produce a batch').toBeDefined();
    return readBatch(batch!);
  }

  take(): LeafAction[] {
    return this.agg.take();
  }
}

const closes = (actions: LeafAction[]) => actions.filter((a) => a.close !== undefined).map((a) => ({ sessionId: a.sessionId, code: a.close!.code }));

const renewals = (actions: LeafAction[]) =>
  actions.filter((a) => a.message?.renewed).map((a) => ({ sessionId: a.sessionId, seq: Number(a.message!.renewed!.seq), epoch: Number(a.message!.renewed!.leaseEpoch) }));

// ---------------------------------------------------------------- tests

describe('Aggregator', () => {
  it('refuses non-positive limits', () => {
    const clock = new ManualClock();
    expect(() => new Aggregator({ ...DEFAULTS, batchEntriesMax: 0 }, clock)).toThrow(/positive limits/);
    expect(() => new Aggregator({ ...DEFAULTS, batchesInFlightMax: 0 }, clock)).toThrow(/positive limits/);
    expect(() => new Aggregator({ ...DEFAULTS, leavesMax: 0 }, clock)).toThrow(/positive limits/);
  });

  describe('session start', () => {
    it.each([
      ['liveness', livenessMsg(1, 1)],
      ['leave', leaveMsg(1)],
      ['an empty message', {} as NodeMessage__Output],
      ['attach without register', { msg: 'attach', attach: { register: null, leaseEpoch: 0 } } as NodeMessage__Output],
    ])('closes a session whose first message is %s with INVALID_ARGUMENT', (_name, message) => {
      const h = new Harness();
      h.send(7, message);
      const actions = h.take();
      expect(actions).toHaveLength(1);
      expect(actions[0]).toMatchObject({ sessionId: 7, close: { code: CODE.INVALID_ARGUMENT } });
      expect(actions[0]!.message).toBeUndefined();
      expect(h.agg.leafCount).toBe(0);
      expect(h.agg.pendingCount).toBe(0);
      expect(h.flush()).toEqual({ batchId: 1, liveness: [], messages: [], detached: [] });
    });

    it('closes an attached session that sends a second attach', () => {
      const h = new Harness();
      const s = h.attach('n1');
      h.send(s, attachMsg('n1'));
      expect(closes(h.take())).toEqual([{ sessionId: s, code: CODE.INVALID_ARGUMENT }]);
    });

    it('queues attach as a control message and forwards it, once, in the next batch', () => {
      const h = new Harness();
      h.attach('n1', 4);
      expect(h.take()).toEqual([]);
      expect(h.agg.leafCount).toBe(1);
      expect(h.agg.pendingCount).toBe(1);

      h.clock.advance(35);
      const raw = h.agg.flush()!;
      expect(raw.messages).toHaveLength(1);
      expect(raw.messages![0]!.message).toEqual(attachMsg('n1', 4));
      expect(readBatch(raw)).toEqual({
        batchId: 1,
        liveness: [],
        messages: [{ key: keyOf('n1'), kind: 'attach', leaseEpoch: 4, ageMs: 35 }],
        detached: [],
      });
      expect(h.agg.pendingCount).toBe(0);
      expect(h.flush().messages).toEqual([]);
    });
  });

  describe('flow control', () => {
    it('holds batches back until the upstream is ready', () => {
      const h = new Harness({}, false);
      h.attach('n1');
      expect(h.agg.flush()).toBeUndefined();
      expect(h.agg.flush()).toBeUndefined();
      expect(h.agg.pendingCount).toBe(1);

      h.agg.onUpstreamReady();
      const batch = h.flush();
      expect(batch.batchId).toBe(1);
      expect(batch.messages.map((m) => m.key)).toEqual([keyOf('n1')]);
    });

    it('holds batches back while batchesInFlightMax batches are unacknowledged', () => {
      const h = new Harness({ batchesInFlightMax: 2 });
      const first = h.flush();
      const second = h.flush();
      expect([first.batchId, second.batchId]).toEqual([1, 2]);
      expect(h.agg.inFlightCount).toBe(2);
      expect(h.agg.flush()).toBeUndefined();

      h.agg.onBatchAck(ack(first.batchId));
      expect(h.agg.inFlightCount).toBe(1);
      expect(h.flush().batchId).toBe(3);
      expect(h.agg.flush()).toBeUndefined();
    });

    it('keeps what was heard while held back and sends it when there is room again', () => {
      const h = new Harness({ batchesInFlightMax: 1 });
      const s = h.welcomed('n1', 1);
      const blocker = h.flush();
      h.send(s, livenessMsg(1, 1));
      h.send(s, livenessMsg(2, 1));
      expect(h.agg.flush()).toBeUndefined();

      h.agg.onBatchAck(ack(blocker.batchId));
      expect(h.flush().liveness).toEqual([{ key: keyOf('n1'), seq: 2, epoch: 1, ageMs: 0 }]);
    });
  });

  describe('liveness coalescing', () => {
    it('sends one entry per leaf per batch with its latest seq and epoch', () => {
      const h = new Harness();
      const sessions = ['n1', 'n2', 'n3'].map((id, i) => ({ id, s: h.welcomed(id, 10 + i) }));
      for (let seq = 1; seq <= 5; seq++) {
        for (const { s } of sessions) h.send(s, livenessMsg(seq, 1));
      }
      // n2's lease epoch changes on its last packet: the latest one wins.
      h.send(sessions[1]!.s, livenessMsg(6, 2));

      const batch = h.flush();
      expect(batch.liveness).toEqual([
        { key: keyOf('n1'), seq: 5, epoch: 1, ageMs: 0 },
        { key: keyOf('n2'), seq: 6, epoch: 2, ageMs: 0 },
        { key: keyOf('n3'), seq: 5, epoch: 1, ageMs: 0 },
      ]);
      expect(batch.messages).toEqual([]);
    });

    it('reports ageMs as relay-clock time since the latest packet of each leaf', () => {
      const h = new Harness();
      const a = h.welcomed('a', 1);
      const b = h.welcomed('b', 1);

      h.send(a, livenessMsg(1, 1));
      h.clock.advance(30);
      h.send(b, livenessMsg(1, 1));
      h.clock.advance(20);
      h.send(a, livenessMsg(2, 1)); // refreshes a's age
      h.clock.advance(7);

      const ages = Object.fromEntries(h.flush().liveness.map((l) => [l.key, l.ageMs]));
      expect(ages).toEqual({ [keyOf('a')]: 7, [keyOf('b')]: 27 });
    });

    it('leaves out leaves that went silent since the last flush', () => {
      const h = new Harness();
      const a = h.welcomed('a', 1);
      const b = h.welcomed('b', 1);

      h.send(a, livenessMsg(1, 1));
      h.send(b, livenessMsg(1, 1));
      expect(h.flush().liveness.map((l) => l.key)).toEqual([keyOf('a'), keyOf('b')]);

      h.send(a, livenessMsg(2, 1));
      expect(h.flush().liveness.map((l) => [l.key, l.seq])).toEqual([[keyOf('a'), 2]]);

      expect(h.flush().liveness).toEqual([]);
    });
  });

  describe('batchBytesMax', () => {
    it('ends a batch before its estimated size passes the bound, at least one entry each, nothing lost', () => {
      const h = new Harness({ batchBytesMax: 4096 });
      const big = (id: string): NodeMessage__Output => {
        const message = attachMsg(id);
        message.attach!.register!.labels = [{ key: 'k', value: 'v'.repeat(1000) }];
        return message;
      };
      for (let i = 1; i <= 4; i++) h.send(i, big(`b${i}`));
      // Each attach is over 3 KB (3 bytes counted per character): one per batch.
      const batches = [h.flush(), h.flush(), h.flush(), h.flush()];
      expect(batches.map((b) => b.messages.map((m) => m.key))).toEqual([1, 2, 3, 4].map((i) => [keyOf(`b${i}`)]));
      expect(h.flush().messages).toEqual([]);
    });
  });

  describe('batchEntriesMax', () => {
    it('bounds each batch and sends the remainder in the following batches, nothing lost or duplicated', () => {
      const h = new Harness({ batchEntriesMax: 2 });
      const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
      const sessions = ids.map((id) => h.welcomed(id, 1));
      sessions.forEach((s, i) => h.send(s, livenessMsg(100 + i, 1)));

      const first = h.flush();
      const second = h.flush();
      const third = h.flush();
      expect([first, second, third].map((b) => b.liveness.length)).toEqual([2, 2, 1]);

      const all = [first, second, third].flatMap((b) => b.liveness.map((l) => [l.key, l.seq]));
      expect(all).toEqual(ids.map((id, i) => [keyOf(id), 100 + i]));
      expect(h.agg.pendingCount).toBe(0);
      expect(h.flush().liveness).toEqual([]);
    });

    it('counts control messages against the bound, control first', () => {
      const h = new Harness({ batchEntriesMax: 2 });
      const a = h.welcomed('a', 1);
      h.send(a, livenessMsg(1, 1));
      h.attach('b');
      h.attach('c');
      h.attach('d');

      const batches = [h.flush(), h.flush(), h.flush()];
      expect(batches.map((b) => [b.messages.map((m) => m.key), b.liveness.map((l) => l.key)])).toEqual([
        [[keyOf('b'), keyOf('c')], []],
        [[keyOf('d')], [keyOf('a')]],
        [[], []],
      ]);
    });

    it('forwards the latest seq of a leaf that spoke again while waiting in the remainder', () => {
      const h = new Harness({ batchEntriesMax: 1 });
      const a = h.welcomed('a', 1);
      const b = h.welcomed('b', 1);
      h.send(a, livenessMsg(1, 1));
      h.send(b, livenessMsg(1, 1));
      expect(h.flush().liveness.map((l) => [l.key, l.seq])).toEqual([[keyOf('a'), 1]]);

      h.send(b, livenessMsg(2, 1));
      expect(h.flush().liveness.map((l) => [l.key, l.seq])).toEqual([[keyOf('b'), 2]]);
      expect(h.flush().liveness).toEqual([]);
    });
  });

  describe('onBatchAck', () => {
    it('renews every liveness entry of the batch with that entry’s seq and epoch', () => {
      const h = new Harness();
      const a = h.welcomed('a', 1);
      const b = h.welcomed('b', 1);
      h.send(a, livenessMsg(3, 1));
      h.send(b, livenessMsg(8, 2));
      const batch = h.flush();
      // Packets after the flush belong to the next batch, not to this ack.
      h.send(a, livenessMsg(4, 1));

      h.agg.onBatchAck(ack(batch.batchId));
      const actions = h.take();
      expect(renewals(actions)).toEqual([
        { sessionId: a, seq: 3, epoch: 1 },
        { sessionId: b, seq: 8, epoch: 2 },
      ]);
      expect(closes(actions)).toEqual([]);
      expect(h.agg.inFlightCount).toBe(0);
    });

    it('sends lost and closes with the rejection code for rejected entries, renewing the rest', () => {
      const h = new Harness();
      const a = h.welcomed('a', 1);
      const b = h.welcomed('b', 5);
      const c = h.welcomed('c', 1);
      h.send(a, livenessMsg(1, 1));
      h.send(b, livenessMsg(1, 5));
      h.send(c, livenessMsg(1, 1));
      const batch = h.flush();

      h.agg.onBatchAck(ack(batch.batchId, { rejected: [rejection('b', CODE.FAILED_PRECONDITION, 'lease 5 is gone')] }));
      const actions = h.take();
      expect(renewals(actions)).toEqual([
        { sessionId: a, seq: 1, epoch: 1 },
        { sessionId: c, seq: 1, epoch: 1 },
      ]);
      const rejected = actions.filter((x) => x.sessionId === b);
      expect(rejected).toHaveLength(1);
      expect(rejected[0]!.message?.lost).toEqual({ leaseEpoch: 5, reason: 'lease 5 is gone' });
      expect(rejected[0]!.close).toEqual({ code: CODE.FAILED_PRECONDITION, message: 'lease 5 is gone' });
    });

    it('applies only the deliveries of an ack for an unknown batch id', () => {
      const h = new Harness();
      const a = h.welcomed('a', 1);
      h.send(a, livenessMsg(1, 1));
      const batch = h.flush();

      h.agg.onBatchAck(ack(batch.batchId + 99, { deliveries: [closeDelivery('a', CODE.FAILED_PRECONDITION, 'gone')] }));
      expect(h.take()).toEqual([{ sessionId: a, close: { code: CODE.FAILED_PRECONDITION, message: 'gone' } }]);
      expect(h.agg.inFlightCount).toBe(1);

      // The real ack still renews.
      h.agg.onBatchAck(ack(batch.batchId));
      expect(renewals(h.take())).toEqual([{ sessionId: a, seq: 1, epoch: 1 }]);
    });

    it('treats batch id 0 as unsolicited deliveries only', () => {
      const h = new Harness();
      const a = h.welcomed('a', 1);
      h.send(a, livenessMsg(1, 1));
      h.flush();

      h.agg.onBatchAck(ack(0, { deliveries: [{ nodeKey: keyOf('a'), message: { msg: 'lost', lost: { leaseEpoch: 1, reason: 'down', drained: false } }, closeCode: 0, closeMessage: '' }] }));
      const actions = h.take();
      expect(actions).toHaveLength(1);
      expect(actions[0]).toMatchObject({ sessionId: a, message: { lost: { leaseEpoch: 1, reason: 'down' } } });
      expect(actions[0]!.close).toBeUndefined();
      expect(h.agg.inFlightCount).toBe(1);
    });
  });

  describe('deliveries', () => {
    it('delivers a welcome, marks the leaf welcomed and takes its epoch', () => {
      const h = new Harness();
      const s = h.attach('n1');
      const batch = h.flush();
      h.agg.onBatchAck(ack(batch.batchId, { deliveries: [welcomeDelivery('n1', 7)] }));
      const actions = h.take();
      expect(actions).toHaveLength(1);
      expect(actions[0]!.sessionId).toBe(s);
      expect(actions[0]!.message?.welcome?.registration?.leaseEpoch).toBe(7);
      expect(actions[0]!.close).toBeUndefined();

      // Welcomed with epoch 7: a new link re-announces it with that epoch.
      h.agg.onUpstreamLost();
      h.agg.onUpstreamReady();
      expect(h.flush().messages).toEqual([{ key: keyOf('n1'), kind: 'attach', leaseEpoch: 7, ageMs: 0 }]);
    });

    it('closes the session when closeCode is non-zero', () => {
      const h = new Harness();
      const s = h.attach('n1', 3);
      const batch = h.flush();
      h.agg.onBatchAck(ack(batch.batchId, { deliveries: [closeDelivery('n1', CODE.FAILED_PRECONDITION, 'lease 3 is gone')] }));
      expect(h.take()).toEqual([{ sessionId: s, close: { code: CODE.FAILED_PRECONDITION, message: 'lease 3 is gone' } }]);
    });

    it('drops deliveries for leaves the relay does not know', () => {
      const h = new Harness();
      h.agg.onBatchAck(ack(0, { deliveries: [welcomeDelivery('ghost', 1)] }));
      expect(h.take()).toEqual([]);
    });
  });

  describe('one session per node key', () => {
    it('supersedes the older session with ABORTED and keeps its acks away from the newer one', () => {
      const h = new Harness();
      const old = h.welcomed('n1', 1);
      h.send(old, livenessMsg(5, 1));
      const inFlight = h.flush();
      expect(inFlight.liveness.map((l) => l.key)).toEqual([keyOf('n1')]);

      const fresh = h.attach('n1', 1, 'i-n1-restarted');
      expect(closes(h.take())).toEqual([{ sessionId: old, code: CODE.ABORTED }]);
      expect(h.agg.leafCount).toBe(1);

      h.agg.onBatchAck(ack(inFlight.batchId));
      expect(h.take()).toEqual([]);

      h.agg.onBatchAck(ack(0, { rejected: [rejection('n1', CODE.FAILED_PRECONDITION, 'x')] }));
      expect(h.take()).toEqual([]);

      // The newer session's attach goes up; the older session's end detaches nothing.
      h.agg.onLeafClosed(old);
      const next = h.flush();
      expect(next.messages).toEqual([{ key: keyOf('n1'), kind: 'attach', leaseEpoch: 1, ageMs: 0 }]);
      expect(next.detached).toEqual([]);
      expect(h.agg.leafCount).toBe(1);

      // The newer session works normally.
      h.send(fresh, livenessMsg(1, 1));
      const batch = h.flush();
      h.agg.onBatchAck(ack(batch.batchId));
      expect(renewals(h.take())).toEqual([{ sessionId: fresh, seq: 1, epoch: 1 }]);
    });

    it('drops the older session’s pending liveness when superseded', () => {
      const h = new Harness();
      const old = h.welcomed('n1', 1);
      h.send(old, livenessMsg(9, 1));
      h.attach('n1', 1);
      h.take();
      const batch = h.flush();
      expect(batch.liveness).toEqual([]);
      expect(batch.messages.map((m) => m.kind)).toEqual(['attach']);
    });
  });

  describe('onLeafClosed', () => {
    it('puts the key into the next batch’s detached, once, and forgets the leaf', () => {
      const h = new Harness();
      const a = h.welcomed('a', 1);
      const b = h.welcomed('b', 1);
      h.send(a, livenessMsg(1, 1));
      h.send(b, livenessMsg(1, 1));

      h.agg.onLeafClosed(a);
      expect(h.agg.leafCount).toBe(1);
      const batch = h.flush();
      expect(batch.detached).toEqual([keyOf('a')]);
      expect(batch.liveness.map((l) => l.key)).toEqual([keyOf('b')]);
      expect(h.flush().detached).toEqual([]);

      // The closed session is unknown now: its next message must be an attach.
      h.send(a, livenessMsg(2, 1));
      expect(closes(h.take())).toEqual([{ sessionId: a, code: CODE.INVALID_ARGUMENT }]);
    });

    it('drops a pending attach of a closed session and ignores unknown sessions', () => {
      const h = new Harness();
      const s = h.attach('n1');
      h.agg.onLeafClosed(s);
      h.agg.onLeafClosed(999);
      expect(h.agg.pendingCount).toBe(0);
      const batch = h.flush();
      expect(batch.messages).toEqual([]);
      expect(batch.detached).toEqual([keyOf('n1')]);
    });

    it('does not renew a closed leaf when the ack for its entry arrives', () => {
      const h = new Harness();
      const a = h.welcomed('a', 1);
      h.send(a, livenessMsg(1, 1));
      const batch = h.flush();
      h.agg.onLeafClosed(a);
      h.agg.onBatchAck(ack(batch.batchId));
      expect(h.take()).toEqual([]);
    });
  });

  describe('leavesMax', () => {
    it('refuses a new leaf beyond leavesMax with RESOURCE_EXHAUSTED', () => {
      const h = new Harness({ leavesMax: 2 });
      h.attach('n1');
      const n2 = h.attach('n2');
      const n3 = h.attach('n3');
      expect(closes(h.take())).toEqual([{ sessionId: n3, code: CODE.RESOURCE_EXHAUSTED }]);
      expect(h.agg.leafCount).toBe(2);
      expect(h.flush().messages.map((m) => m.key)).toEqual([keyOf('n1'), keyOf('n2')]);

      // A known key may still re-attach at capacity (it supersedes).
      h.attach('n1');
      expect(closes(h.take()).map((c) => c.code)).toEqual([CODE.ABORTED]);

      // Room frees up when a leaf goes.
      h.agg.onLeafClosed(n2);
      h.attach('n3');
      expect(h.take()).toEqual([]);
      expect(h.agg.leafCount).toBe(2);
    });
  });

  describe('upstream loss', () => {
    it('forgets in-flight batches and holds flushes back until ready again', () => {
      const h = new Harness({ batchesInFlightMax: 2 });
      const a = h.welcomed('a', 1);
      h.send(a, livenessMsg(1, 1));
      const lost = h.flush();
      h.flush();
      expect(h.agg.inFlightCount).toBe(2);

      h.agg.onUpstreamLost();
      expect(h.agg.inFlightCount).toBe(0);
      expect(h.agg.flush()).toBeUndefined();

      // A late ack for a forgotten batch renews nothing.
      h.agg.onBatchAck(ack(lost.batchId));
      expect(h.take()).toEqual([]);
    });

    it('re-announces every welcomed leaf with its current epoch after onUpstreamReady', () => {
      const h = new Harness();
      const a = h.welcomed('a', 3);
      const b = h.welcomed('b', 4);
      h.send(b, livenessMsg(1, 6)); // the leaf's epoch moved on since its welcome
      h.attach('pending'); // attached, not yet forwarded, not welcomed
      h.send(a, leaveMsg(3)); // a leave must not be replaced by a re-announce

      h.agg.onUpstreamLost();
      h.clock.advance(100);
      h.agg.onUpstreamReady();
      const batch = h.flush();
      const byKey = Object.fromEntries(batch.messages.map((m) => [m.key, m]));
      expect(Object.keys(byKey).sort()).toEqual([keyOf('a'), keyOf('b'), keyOf('pending')].sort());
      expect(byKey[keyOf('a')]).toMatchObject({ kind: 'leave', leaseEpoch: 3 });
      expect(byKey[keyOf('b')]).toEqual({ key: keyOf('b'), kind: 'attach', leaseEpoch: 6, ageMs: 0 });
      expect(byKey[keyOf('pending')]).toEqual({ key: keyOf('pending'), kind: 'attach', leaseEpoch: 0, ageMs: 100 });
      expect(batch.liveness).toEqual([{ key: keyOf('b'), seq: 1, epoch: 6, ageMs: 100 }]);
    });

    it('re-announces with the original registration and only once', () => {
      const h = new Harness();
      h.welcomed('n1', 9);
      h.agg.onUpstreamLost();
      h.agg.onUpstreamReady();
      const raw = h.agg.flush()!;
      expect(raw.messages).toHaveLength(1);
      expect(raw.messages![0]!.message).toEqual(attachMsg('n1', 9));
      expect(h.flush().messages).toEqual([]);
    });
  });

  describe('leave', () => {
    it('is forwarded as a control message in arrival order, replacing pending liveness', () => {
      const h = new Harness();
      const a = h.welcomed('a', 2);
      h.send(a, livenessMsg(1, 2));
      h.clock.advance(5);
      h.send(a, leaveMsg(2));
      h.clock.advance(10);
      h.attach('b');

      const batch = h.flush();
      expect(batch.messages).toEqual([
        { key: keyOf('a'), kind: 'leave', leaseEpoch: 2, ageMs: 10 },
        { key: keyOf('b'), kind: 'attach', leaseEpoch: 0, ageMs: 0 },
      ]);
      expect(batch.liveness).toEqual([]);
    });

    it('delivers the coordinator’s answer to a leave and closes with OK', () => {
      const h = new Harness();
      const a = h.welcomed('a', 2);
      h.send(a, leaveMsg(2));
      const batch = h.flush();
      h.agg.onBatchAck(ack(batch.batchId, { deliveries: [{ nodeKey: keyOf('a'), message: null, closeCode: CODE.OK, closeMessage: 'left' }] }));
      expect(h.take()).toEqual([{ sessionId: a, close: { code: CODE.OK, message: 'left' } }]);
    });
  });
});

describe('Aggregator: leave then close', () => {
  it('forwards a leave even when the session closes right after it', () => {
    const clock = new ManualClock();
    const agg = new Aggregator({ batchEntriesMax: 100, batchesInFlightMax: 4, leavesMax: 10 }, clock);
    agg.onUpstreamReady();
    agg.onLeafMessage(1, attachMsg('a', 0));
    const first = agg.flush()!;
    agg.onBatchAck(ack(Number(first.batchId), { deliveries: [welcomeDelivery('a', 1)] }));
    agg.take();
    agg.onLeafMessage(1, leaveMsg(1));
    agg.onLeafClosed(1);
    const batch = agg.flush()!;
    expect(batch.messages?.map((m) => [m.nodeKey, m.message?.leave?.leaseEpoch])).toEqual([[keyOf('a'), 1]]);
    expect(batch.detached).toEqual([keyOf('a')]);
  });
});
