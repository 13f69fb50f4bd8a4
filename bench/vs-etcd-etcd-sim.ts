/**
 * Many etcd members in one process, for bench/vs-etcd.ts. Each member is a
 * lease (TTL_S) and a key bound to it (PREFIX-<i> under KEY_PREFIX). Members
 * are spread over clients of LEASES_PER_CLIENT leases; each client has its
 * own HTTP/2 connection and keeps its leases alive the way etcd's Go client
 * (clientv3/lease.go, 3.4+) does: one LeaseKeepAlive bidi stream carrying
 * every lease id of the client; a send loop that, every LOOP_MS (Go:
 * retryConnWait = 500 ms), sends a request for each lease whose next
 * keepalive time has passed; and next keepalive = response time + TTL/3
 * (so with TTL 2 s and a 500 ms loop, a lease is renewed about once a
 * second). Like bench/leaf-sim.ts, writes are not held back by flow control. A response with TTL <= 0
 * means the lease is gone (counted as lost).
 *
 * Registration of a member: LeaseGrant, keepalive from then on (like Go's
 * concurrency.NewSession), then Put of its key with the lease; at most
 * CONCURRENCY members register at once.
 *
 * Usage: node dist/bench/vs-etcd-etcd-sim.js ADDRESS COUNT PREFIX KEY_PREFIX TTL_S LEASES_PER_CLIENT LOOP_MS CONCURRENCY
 * Prints {"ready":"etcd-sim",...} once every member is registered and its
 * keepalive scheduled; then answers control commands (bench/vs-etcd-control.ts).
 */
import * as grpc from '@grpc/grpc-js';
import { serveControl, type SimStats } from './vs-etcd-control';
import { etcdServices, type KVClient, type LeaseClient, type LeaseKeepAliveRequest, type LeaseKeepAliveResponse } from './etcd-proto';

const TICK_MS = 10;
/** Leases per HTTP/2 connection (as bench/leaf-sim.ts: 5,000 leaves per connection). */
const LEASES_PER_CONNECTION = 5000;

interface Client {
  lease: LeaseClient;
  kv: KVClient;
  stream: grpc.ClientDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse> | undefined;
  /** Lease id per slot; '' until granted. */
  ids: string[];
  /** Next keepalive time per slot (ms since epoch); Infinity: none (not registered, stopped or lost). */
  next: Float64Array;
  slotOf: Map<string, number>;
}

function main(): void {
  const [address, countText, prefix, keyPrefix, ttlText, perClientText, loopText, concurrencyText] = process.argv.slice(2);
  if (address === undefined || countText === undefined || prefix === undefined || keyPrefix === undefined || ttlText === undefined || perClientText === undefined || loopText === undefined || concurrencyText === undefined) {
    process.stderr.write('usage: vs-etcd-etcd-sim ADDRESS COUNT PREFIX KEY_PREFIX TTL_S LEASES_PER_CLIENT LOOP_MS CONCURRENCY\n');
    process.exit(2);
  }
  const count = Number(countText);
  const ttlS = Number(ttlText);
  const perClient = Number(perClientText);
  const loopMs = Number(loopText);
  const concurrency = Number(concurrencyText);
  const services = etcdServices();
  const stats: SimStats = { sent: 0, renewed: 0, lost: 0, errors: 0, live: 0 };
  const stopped = new Set<number>();
  const started = Date.now();

  // Clients share HTTP/2 connections in groups of LEASES_PER_CONNECTION leases (as the relaycast leaf
  // simulator does: one connection, one stream per member); a client's Lease and KV calls use its
  // connection (one ClientConn in Go).
  const connections = new Map<number, { lease: LeaseClient; kv: KVClient }>();
  const connectionFor = (c: number) => {
    const k = Math.floor((c * perClient) / LEASES_PER_CONNECTION);
    let connection = connections.get(k);
    if (connection === undefined) {
      const options = { 'relaycast.bench.connection': `${prefix}-${k}`, 'grpc.max_receive_message_length': -1 };
      connection = { lease: new services.Lease(address, grpc.credentials.createInsecure(), options), kv: new services.KV(address, grpc.credentials.createInsecure(), options) };
      connections.set(k, connection);
    }
    return connection;
  };
  const clients: Client[] = Array.from({ length: Math.ceil(count / perClient) }, (_, c) => {
    const size = Math.min(perClient, count - c * perClient);
    return {
      ...connectionFor(c),
      stream: undefined,
      ids: new Array<string>(size).fill(''),
      next: new Float64Array(size).fill(Infinity),
      slotOf: new Map(),
    };
  });

  function openStream(client: Client): void {
    const stream = client.lease.LeaseKeepAlive();
    client.stream = stream;
    stream.on('data', (response: LeaseKeepAliveResponse) => {
      const slot = client.slotOf.get(response.ID);
      if (slot === undefined || client.next[slot] === Infinity) return;
      if (Number(response.TTL) <= 0) {
        stats.lost += 1;
        stats.live -= 1;
        client.next[slot] = Infinity;
        return;
      }
      stats.renewed += 1;
      client.next[slot] = Date.now() + (Number(response.TTL) * 1000) / 3;
    });
    stream.on('error', () => {
      stats.errors += 1;
      // Like the Go client: open a new stream; its send loop resumes.
      if (client.stream === stream) setTimeout(() => openStream(client), loopMs);
    });
  }

  /**
   * Each client's send loop runs every loopMs at its own phase (clients are
   * separate programs in a deployment). One timer drives them all: every
   * TICK_MS it runs the loop turn of the clients whose phase came up, as
   * many turns as the clock says are due (a busy event loop catches up).
   */
  const phases = Math.max(1, Math.round(loopMs / TICK_MS));
  const byPhase: Client[][] = Array.from({ length: phases }, () => []);
  clients.forEach((client, c) => byPhase[(c * 7919) % phases]!.push(client));
  let phase = 0;
  let lastTick = Date.now();
  let turnsDue = 0;
  setInterval(() => {
    const now = Date.now();
    turnsDue = Math.min(phases, turnsDue + ((now - lastTick) / loopMs) * phases);
    lastTick = now;
    while (turnsDue >= 1) {
      turnsDue -= 1;
      for (const client of byPhase[phase]!) loopTurn(client, now);
      phase = (phase + 1) % phases;
    }
  }, TICK_MS);

  /** Go's sendKeepAliveLoop body: a request for every lease whose next keepalive time has passed. */
  function loopTurn(client: Client, now: number): void {
    const stream = client.stream;
    if (stream === undefined) return;
    for (let slot = 0; slot < client.next.length; slot++) {
      if (client.next[slot]! < now) {
        stats.sent += 1;
        stream.write({ ID: client.ids[slot]! });
      }
    }
  }

  /**
   * Like Go's concurrency.NewSession followed by a Put: grant the lease,
   * start keeping it alive at once, then put the member's key on it.
   */
  async function register(i: number): Promise<void> {
    const client = clients[Math.floor(i / perClient)]!;
    const slot = i % perClient;
    for (;;) {
      try {
        if (client.ids[slot] === '') {
          const grant = await unary<{ ID: string }>((cb) => client.lease.LeaseGrant({ TTL: ttlS, ID: 0 }, { deadline: Date.now() + 30_000 }, cb));
          client.ids[slot] = grant.ID;
          client.slotOf.set(grant.ID, slot);
          // Go's KeepAlive(): the first keepalive goes out on the next loop turn.
          client.next[slot] = 0;
          stats.live += 1;
        }
        await unary((cb) => client.kv.Put({ key: Buffer.from(`${keyPrefix}${prefix}-${i}`), value: Buffer.from(`member ${i}`), lease: client.ids[slot]! }, { deadline: Date.now() + 30_000 }, cb));
        return;
      } catch (err) {
        stats.errors += 1;
        if ((err as grpc.ServiceError).code === grpc.status.NOT_FOUND && client.ids[slot] !== '') {
          // The lease expired before the key was put: a new session, as a Go member would.
          if (client.next[slot] !== Infinity) {
            stats.lost += 1;
            stats.live -= 1;
          }
          client.slotOf.delete(client.ids[slot]!);
          client.ids[slot] = '';
          client.next[slot] = Infinity;
        }
        // Retried until it works; the benchmark bounds registration time.
        await sleep(200);
      }
    }
  }

  for (const client of clients) {
    openStream(client);
  }
  let cursor = 0;
  let done = 0;
  const worker = async () => {
    while (cursor < count) {
      const i = cursor++;
      await register(i);
      done += 1;
    }
  };
  Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker)).then(() => {
    process.stdout.write(JSON.stringify({ ready: 'etcd-sim', address, count: done, registerMs: Date.now() - started }) + '\n');
  }, (err: Error) => {
    process.stderr.write(`etcd-sim ${prefix}: registration failed: ${err.message}\n`);
    process.exit(1);
  });

  serveControl((command) => {
    if (command.cmd === 'stop') {
      for (const i of command.members) {
        const client = clients[Math.floor(i / perClient)];
        const slot = i % perClient;
        if (client === undefined || stopped.has(i) || client.next[slot] === Infinity) continue;
        // The member dies: its lease is no longer kept alive.
        client.next[slot] = Infinity;
        stopped.add(i);
        stats.live -= 1;
      }
      return { at: Date.now(), stopped: stopped.size };
    }
    return { ...stats };
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function unary<T>(call: (cb: (err: grpc.ServiceError | null, response: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => call((err, response) => (err ? reject(err) : resolve(response))));
}

main();
