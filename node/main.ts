/** `relaycast node`: the push worker process. */
import { randomUUID } from 'node:crypto';
import { boundAddress, createServer } from '../platform/grpc-server';
import { createLogger } from '../platform/log';
import { systemClock } from '../platform/clock';
import { onShutdownSignal } from '../platform/process';
import { NodeAgent } from './agent';
import { Worker } from './worker';
import { createGatewayClient } from './gateway-client';
import { parseLabels, type NodeConfig } from './config';
import { metricsFor, metricsInterceptors } from '../platform/metrics';
import { registerNodeMetrics } from './metrics';
import { channelCredentials, loadTls, readCaFile, serverCredentials, systemRootsWith } from '../platform/tls';

export async function runNode(config: NodeConfig): Promise<void> {
  const instanceId = randomUUID();
  const nodeKey = `${config.cluster}/${config.id}`;
  const log = createLogger('node', config.logLevel, { nodeKey });
  const metrics = metricsFor(config.metricsListen);
  // TLS with this node's certificate everywhere unless --plaintext: its own port, sessions and
  // audience pages (one credentials object), and the gateway (system roots + the cluster CA by default).
  const tls = loadTls(config, { role: 'node', clusterId: config.cluster, id: config.id });
  const credentials = channelCredentials(tls);
  const gatewayCa = config.gatewayTlsCaFile !== '' ? readCaFile('--gateway-tls-ca-file', config.gatewayTlsCaFile) : systemRootsWith(tls?.ca);
  const gatewayTls = tls !== undefined || /^https:/i.test(config.gateway.trim()) ? { ca: gatewayCa, cert: tls?.cert, key: tls?.key } : undefined;
  const ops = createServer([], { interceptors: metricsInterceptors(metrics), credentials: serverCredentials(tls) });
  const port = await ops.listen(config.listen);
  const address = boundAddress(config.listen, port);
  const endpoints = [...config.relays, ...(config.coordinator === '' ? [] : [config.coordinator])];
  const agent = new NodeAgent(
    { clusterId: config.cluster, nodeId: config.id, instanceId, address, labels: parseLabels(config.labels), capacityWeight: config.capacityWeight },
    { endpoints, relayFailoverMs: config.relayFailoverMs, reconnectBackoffMinMs: config.reconnectBackoffMinMs, reconnectBackoffMaxMs: config.reconnectBackoffMaxMs },
    systemClock,
    Math.random,
    log,
    credentials,
  );
  const gateway = createGatewayClient(config.gateway, { timeoutMs: config.gatewayTimeoutMs, sender: () => agent.sender(), tls: gatewayTls });
  // Stateless: what is in flight or held for the gateway lives in memory only. The
  // coordinator's checkpoint never passes an item that is not final, so after a crash
  // the next owner of a range resends it (under the same idempotency keys).
  const worker = new Worker({
    nodeKey,
    deliverBatchSize: config.deliverBatchSize,
    deliverBatchesInFlightMax: config.deliverBatchesInFlightMax,
    audiencePageSize: config.audiencePageSize,
    deliveryAttemptsMax: config.deliveryAttemptsMax,
    gatewayRetryMinMs: config.gatewayRetryMinMs,
    gatewayRetryMaxMs: config.gatewayRetryMaxMs,
    outboxItemsMax: config.outboxItemsMax,
    coordinatorCallAttemptsMax: config.coordinatorCallAttemptsMax,
    callTimeoutMs: config.gatewayTimeoutMs,
    credentials,
  }, gateway, systemClock, Math.random, () => agent.serving, log);
  agent.progressSource = () => worker.progress();
  worker.onReport = () => agent.livenessSoon();
  // The lease is read at every order too: the agent applies a welcome before the
  // orders that follow it, and an order for a lease not applied yet is held.
  agent.on('order', (order) => {
    worker.setLease(agent.core.leaseEpoch);
    worker.onOrder(order);
  });
  agent.on('revoke', (revoke) => worker.onRevoke(revoke));
  agent.on('event', (event) => {
    if (event.kind === 'fatal') {
      log.fatal({ reason: event.reason }, 'cannot register; exiting');
      process.exit(2);
    }
    // attached: a (new) lease, held orders start; lease-lost: everything of the old lease stops.
    worker.setLease(agent.core.leaseEpoch);
    if (event.kind === 'unfenced') worker.poke();
    ops.setServing(agent.serving ? 'SERVING' : 'NOT_SERVING');
  });
  if (metrics !== undefined) registerNodeMetrics(metrics, worker, agent);
  const metricsAddress = metrics === undefined ? '' : await metrics.listen(config.metricsListen, log);
  agent.start();
  log.info({ address, endpoints, instanceId, transport: tls === undefined ? 'plaintext' : 'mtls' }, 'node started');
  process.stdout.write(JSON.stringify({ ready: 'node', nodeKey, address, metricsAddress }) + '\n');

  const shutdown = async () => {
    ops.setServing('NOT_SERVING');
    // Drain: finish the batches in flight, report where each shard stopped
    // (the coordinator hands the remainders on at once), then leave.
    await worker.drain(config.shutdownGraceMs);
    await agent.stop(config.shutdownGraceMs);
    worker.close();
    gateway.close();
    await ops.stop(500);
    await metrics?.close();
  };
  onShutdownSignal(log, shutdown);
  agent.on('event', (event) => {
    if (event.kind !== 'drained') return;
    shutdown().then(() => {
      log.info('stopped after drain');
      process.exit(0);
    }, (err: unknown) => {
      log.error({ err }, 'shutdown after drain failed');
      process.exit(1);
    });
  });
}
