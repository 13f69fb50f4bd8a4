/** `relaycast coordinator`: the registry and monitor process. */
import { boundAddress, createServer, deferredHandlers } from '../platform/grpc-server';
import { createLogger } from '../platform/log';
import { relaycastV1 } from '../protocol/proto';
import { LevelStore } from '../platform/store/level-store';
import { systemClock } from '../platform/clock';
import { onShutdownSignal } from '../platform/process';
import type { MembershipHandlers } from '../protocol/generated/relaycast/v1/Membership';
import type { NodeSessionHandlers } from '../protocol/generated/relaycast/v1/NodeSession';
import type { RelayLinkHandlers } from '../protocol/generated/relaycast/v1/RelayLink';
import { Coordinator } from './coordinator';
import type { CoordinatorConfig } from './config';
import { pick } from '../platform/config';
import { membershipHandlers } from './membership-service';
import { adminHandlers } from './admin-service';
import { broadcastHandlers, shardDataHandlers } from './broadcast-service';
import type { BroadcastsHandlers } from '../protocol/generated/relaycast/v1/Broadcasts';
import type { ShardDataHandlers } from '../protocol/generated/relaycast/v1/ShardData';
import type { AdminHandlers } from '../protocol/generated/relaycast/v1/Admin';
import { nodeSessionHandlers, relayLinkHandlers } from './session-service';
import type { RegistryConfig } from './core/registry';
import { metricsFor, metricsInterceptors } from '../platform/metrics';
import { apiRateLimitInterceptors } from '../platform/api-rate-limit';
import { registerCoordinatorMetrics } from './metrics';
import { loadTls, serverCredentials } from '../platform/tls';
import { apiAuthInterceptors } from '../platform/api-auth';
import { guardMembership, guardShardData } from './peer-auth';

export const COORDINATOR_SERVICES = ['relaycast.v1.Admin', 'relaycast.v1.Broadcasts', 'relaycast.v1.Membership', 'relaycast.v1.NodeSession', 'relaycast.v1.RelayLink', 'relaycast.v1.ShardData'];

const REGISTRY_SETTINGS = ['heartbeatIntervalMs', 'suspectAfterMs', 'downAfterMs', 'leaseTtlMs', 'disconnectedDownMarginMs', 'relayGraceMs', 'restartGraceMs', 'eventsRetainedMax', 'failureCheckIntervalMs', 'memberRetentionMs'] as const satisfies ReadonlyArray<keyof RegistryConfig>;
const SCHEDULER_SETTINGS = ['shardsPerWeight', 'splitSizeMin', 'checkpointIntervalMs', 'orderResendMs'] as const;

export async function runCoordinator(config: CoordinatorConfig): Promise<void> {
  const log = createLogger('coordinator', config.logLevel);
  // The cores take their settings under the names the schema gives them.
  const registryConfig: RegistryConfig = pick(config, REGISTRY_SETTINGS);
  const metrics = metricsFor(config.metricsListen);
  // Metrics first: they also count the calls the rate limit refuses.
  const rateLimits = { ratePerS: config.apiRatePerS, burst: config.apiBurst, clientsMax: config.apiRateClientsMax };
  // TLS (client certificates required) unless --plaintext; API tokens after the rate limit, so guessing is limited too.
  const tls = loadTls(config);
  const tokens = apiAuthInterceptors(config.tokensFile, log);
  const ops = createServer(COORDINATOR_SERVICES, { interceptors: [...metricsInterceptors(metrics), ...apiRateLimitInterceptors(rateLimits, log), ...tokens], credentials: serverCredentials(tls) });
  let coordinator: Coordinator | undefined;
  let handlers: { admin: AdminHandlers; broadcasts: BroadcastsHandlers; membership: MembershipHandlers; session: NodeSessionHandlers; link: RelayLinkHandlers; shardData: ShardDataHandlers } | undefined;
  const why = 'coordinator is loading its state; retry shortly';
  const v1 = relaycastV1();
  ops.server.addService(v1.Admin.service, deferredHandlers(v1.Admin.service, () => handlers?.admin, why));
  ops.server.addService(v1.Broadcasts.service, deferredHandlers(v1.Broadcasts.service, () => handlers?.broadcasts, why));
  ops.server.addService(v1.ShardData.service, deferredHandlers(v1.ShardData.service, () => handlers?.shardData, why));
  ops.server.addService(v1.Membership.service, deferredHandlers(v1.Membership.service, () => handlers?.membership, why));
  ops.server.addService(v1.NodeSession.service, deferredHandlers(v1.NodeSession.service, () => handlers?.session, why));
  ops.server.addService(v1.RelayLink.service, deferredHandlers(v1.RelayLink.service, () => handlers?.link, why));

  const port = await ops.listen(config.listen);
  const address = boundAddress(config.listen, port);
  log.info({ address, dataDir: config.dataDir, transport: tls === undefined ? 'plaintext' : 'mtls', apiTokens: tokens.length > 0 }, 'listening; loading state (health NOT_SERVING until loaded)');
  const store = await LevelStore.open(config.dataDir);
  coordinator = await Coordinator.open(store, systemClock, {
    registry: registryConfig,
    scheduler: { ...pick(config, SCHEDULER_SETTINGS), retentionMs: config.broadcastRetentionMs },
    dataAddress: config.advertiseAddress === '' ? address : config.advertiseAddress,
    failureCheckIntervalMs: config.failureCheckIntervalMs,
    watchBufferEventsMax: config.watchBufferEventsMax,
    commitQueueMax: config.commitsQueuedMax,
    // Exit 70 (EX_SOFTWARE) once the fatal line is written; a restart loads what is durable.
    onFatal: () => log.flush(() => process.exit(70)),
  }, log);
  handlers = {
    admin: adminHandlers(coordinator),
    broadcasts: broadcastHandlers(coordinator, store, { shardSizeDefault: config.shardSizeDefault, clusterIdDefault: 'default' }),
    shardData: guardShardData(shardDataHandlers(coordinator, store)),
    membership: guardMembership(membershipHandlers(coordinator, registryConfig)),
    session: nodeSessionHandlers(coordinator),
    link: relayLinkHandlers(coordinator, registryConfig),
  };
  if (metrics !== undefined) registerCoordinatorMetrics(metrics, coordinator);
  const metricsAddress = metrics === undefined ? '' : await metrics.listen(config.metricsListen, log);
  coordinator.start();
  ops.setServing('SERVING');
  log.info({ address }, 'coordinator serving');
  // One machine-readable line on stdout for scripts and tests: where we listen.
  process.stdout.write(JSON.stringify({ ready: 'coordinator', address, metricsAddress }) + '\n');

  onShutdownSignal(log, async () => {
    ops.setServing('NOT_SERVING');
    await ops.stop(config.shutdownGraceMs);
    await metrics?.close();
    await coordinator!.close();
    await store.close();
  });
}
