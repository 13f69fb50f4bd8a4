/** `relaycast relay`: aggregates node liveness into batches for the coordinator. */
import { randomUUID } from 'node:crypto';
import { boundAddress, createServer } from '../platform/grpc-server';
import { createLogger } from '../platform/log';
import { systemClock } from '../platform/clock';
import { onShutdownSignal } from '../platform/process';
import { relaycastV1 } from '../protocol/proto';
import { Relay } from './relay';
import type { RelayConfig } from './config';
import { metricsFor, metricsInterceptors } from '../platform/metrics';
import { registerRelayMetrics } from './metrics';
import { channelCredentials, loadTls, serverCredentials } from '../platform/tls';

export async function runRelay(config: RelayConfig): Promise<void> {
  const relayKey = `${config.cluster}/${config.id}`;
  const log = createLogger('relay', config.logLevel, { relayKey });
  const metrics = metricsFor(config.metricsListen);
  // TLS with this relay's certificate on both sides (nodes must present theirs) unless --plaintext.
  const tls = loadTls(config, { role: 'relay', clusterId: config.cluster, id: config.id });
  const ops = createServer(['relaycast.v1.NodeSession'], { interceptors: metricsInterceptors(metrics), credentials: serverCredentials(tls) });
  const port = await ops.listen(config.listen);
  const address = boundAddress(config.listen, port);
  const relay = new Relay({
    coordinator: config.coordinator,
    clusterId: config.cluster,
    relayId: config.id,
    instanceId: randomUUID(),
    address,
    flushMs: config.relayFlushMs,
    batchEntriesMax: config.relayBatchEntriesMax,
    batchesInFlightMax: config.relayBatchesInFlightMax,
    leavesMax: config.relayLeavesMax,
    reconnectBackoffMinMs: config.reconnectBackoffMinMs,
    reconnectBackoffMaxMs: config.reconnectBackoffMaxMs,
    credentials: channelCredentials(tls),
  }, systemClock, Math.random, log, (linked) => ops.setServing(linked ? 'SERVING' : 'NOT_SERVING'));
  ops.server.addService(relaycastV1().NodeSession.service, relay.handlers());
  if (metrics !== undefined) registerRelayMetrics(metrics, relay);
  const metricsAddress = metrics === undefined ? '' : await metrics.listen(config.metricsListen, log);
  relay.start();
  log.info({ address, coordinator: config.coordinator, transport: tls === undefined ? 'plaintext' : 'mtls' }, 'relay started');
  process.stdout.write(JSON.stringify({ ready: 'relay', relayKey, address, metricsAddress }) + '\n');

  onShutdownSignal(log, async () => {
    ops.setServing('NOT_SERVING');
    relay.stop();
    await ops.stop(config.shutdownGraceMs);
    await metrics?.close();
  });
}
