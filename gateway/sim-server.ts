/**
 * The gateway simulator's shell: gRPC (Gateway + GatewaySimulator, health,
 * reflection) and the optional HTTP webhook around one GatewayLedger. The
 * decisions live in core/ledger.ts; this file converts and waits.
 */
import * as grpc from '@grpc/grpc-js';
import { systemClock, type Clock } from '../platform/clock';
import { boundAddress, createServer } from '../platform/grpc-server';
import { decodeDeliverRequest, encodeDeliverResponse } from '../protocol/gateway-codec';
import { statusError, toStatus } from '../protocol/grpc-status';
import { createLogger, type Logger } from '../platform/log';
import type { DeliveryOutcome__Output } from '../protocol/generated/relaycast/gateway/v1/DeliveryOutcome';
import type { GatewayDefinition, GatewayHandlers } from '../protocol/generated/relaycast/gateway/v1/Gateway';
import type { GatewaySimulatorHandlers } from '../protocol/generated/relaycast/gateway/v1/GatewaySimulator';
import { ledgerConfigOf, type GatewaySimConfig } from './config';
import { GatewayLedger, type DeliveryOutcome } from './core/ledger';
import { mulberry32, type Random } from './core/random';
import { parseSender } from '../protocol/sender-metadata';
import { Delays } from './delays';
import { gatewayV1 } from './proto';
import { startWebhook, type Webhook } from './webhook';
import { loadTls, serverCredentials } from '../platform/tls';

export const GATEWAY_SERVICE = 'relaycast.gateway.v1.Gateway';
export const GATEWAY_SIMULATOR_SERVICE = 'relaycast.gateway.v1.GatewaySimulator';

/** Constant strings: no per-item string building on the hot path. */
const PROTO_OUTCOME: Record<DeliveryOutcome, DeliveryOutcome__Output> = {
  DELIVERED: 'DELIVERY_OUTCOME_DELIVERED',
  RETRY: 'DELIVERY_OUTCOME_RETRY',
  PERMANENT_FAILURE: 'DELIVERY_OUTCOME_PERMANENT_FAILURE',
  UNREACHABLE: 'DELIVERY_OUTCOME_UNREACHABLE',
};

export interface GatewaySim {
  /** gRPC HOST:PORT (the real port when listening on port 0). */
  address: string;
  /** Webhook HOST:PORT, '' when the webhook is off. */
  httpAddress: string;
  /** Calls (gRPC and webhook) waiting out the simulated latency right now. */
  waitingCalls(): number;
  /** Stops serving: waiting calls are answered UNAVAILABLE, then both servers close. */
  stop(): Promise<void>;
}

export interface GatewaySimDeps {
  log?: Logger;
  clock?: Clock;
  /** Defaults to mulberry32(config.seed). */
  random?: Random;
}

function shuttingDown(): grpc.ServiceError {
  return statusError(grpc.status.UNAVAILABLE, 'gateway simulator is shutting down');
}

/**
 * The Gateway service with Deliver's request decoding and response encoding
 * done by protocol/gateway-codec.ts (the hot path: see there why); the rest
 * stays with proto-loader.
 */
function gatewayService(service: GatewayDefinition): GatewayDefinition {
  return { ...service, Deliver: { ...service.Deliver, requestDeserialize: decodeDeliverRequest, responseSerialize: encodeDeliverResponse } };
}

function gatewayHandlers(ledger: GatewayLedger, delays: Delays): GatewayHandlers {
  return {
    Deliver(call, callback) {
      const sender = parseSender((key) => {
        const value = call.metadata.get(key)[0];
        return value === undefined ? undefined : String(value);
      });
      if (!sender.ok) return callback(toStatus(sender.error));
      const received = ledger.receive(sender.value, call.request.items.length);
      if (!received.ok) return callback(toStatus(received.error));
      const admitted = ledger.admitCall();
      if (!admitted.ok) return callback(toStatus(admitted.error));
      if (!delays.accepting) return callback(statusError(grpc.status.UNAVAILABLE, 'gateway simulator is busy or shutting down'));
      delays.run(ledger.latencyMs, () => {
        const result = ledger.deliver(call.request.items);
        if (!result.ok) return callback(toStatus(result.error));
        callback(null, {
          results: result.value.map((r) => ({ idempotencyKey: r.idempotencyKey, outcome: PROTO_OUTCOME[r.outcome], reason: r.reason })),
        });
      }, () => callback(shuttingDown()));
    },
    LookupPresence(call, callback) {
      const admitted = ledger.admitCall();
      if (!admitted.ok) return callback(toStatus(admitted.error));
      if (!delays.accepting) return callback(statusError(grpc.status.UNAVAILABLE, 'gateway simulator is busy or shutting down'));
      delays.run(ledger.latencyMs, () => {
        const result = ledger.lookupPresence(call.request.recipientIds);
        if (!result.ok) return callback(toStatus(result.error));
        callback(null, { reachable: result.value });
      }, () => callback(shuttingDown()));
    },
  };
}

function simulatorHandlers(ledger: GatewayLedger, log: Logger): GatewaySimulatorHandlers {
  return {
    GetStats(_call, callback) {
      callback(null, ledger.stats());
    },
    GetDelivered(call, callback) {
      callback(null, { texts: ledger.delivered(call.request.idempotencyKeys) });
    },
    Configure(call, callback) {
      const r = call.request;
      const result = ledger.configure({
        latencyMs: r.latencyMs,
        retryRate: r.retryRate,
        outage: r.outage,
        outageForMs: r.outageForMs,
        unreachableSuffixes: r.unreachableSuffixes,
        permanentFailureSuffixes: r.permanentFailureSuffixes,
        replaceLists: r.replaceLists,
      });
      if (!result.ok) return callback(toStatus(result.error));
      log.info({ settings: result.value }, 'simulator reconfigured');
      callback(null, result.value);
    },
    ListSenders(call, callback) {
      const { senders, sendersEvicted } = ledger.listSenders(call.request.nodeKey, call.request.receivedAfterUnixMs);
      callback(null, { senders, sendersEvicted });
    },
    Reset(_call, callback) {
      const before = ledger.reset();
      log.info({ before }, 'simulator reset');
      callback(null, before);
    },
  };
}

/** Starts the simulator; resolves once both servers listen and health says SERVING. */
export async function startGatewaySim(config: GatewaySimConfig, deps: GatewaySimDeps = {}): Promise<GatewaySim> {
  const log = deps.log ?? createLogger('gateway-sim', config.logLevel);
  const ledger = new GatewayLedger(ledgerConfigOf(config), deps.clock ?? systemClock, deps.random ?? mulberry32(config.seed));
  const delays = new Delays();
  // TLS when certificate files are given (the command refuses neither-TLS-nor-plaintext; see main.ts).
  const tls = config.plaintext || config.tlsCertFile === '' ? undefined : loadTls(config);
  const ops = createServer([GATEWAY_SERVICE, GATEWAY_SIMULATOR_SERVICE], { credentials: serverCredentials(tls) });
  const v1 = gatewayV1();
  ops.server.addService(gatewayService(v1.Gateway.service), gatewayHandlers(ledger, delays));
  ops.server.addService(v1.GatewaySimulator.service, simulatorHandlers(ledger, log));

  let address: string;
  let webhook: Webhook | undefined;
  try {
    address = boundAddress(config.listen, await ops.listen(config.listen));
    if (config.httpListen !== '') webhook = await startWebhook(config.httpListen, ledger, delays, log, tls);
  } catch (err) {
    await ops.stop(0);
    throw err;
  }
  ops.setServing('SERVING');

  let stopping: Promise<void> | undefined;
  return {
    address,
    httpAddress: webhook?.address ?? '',
    waitingCalls: () => delays.waitingCount,
    stop() {
      stopping ??= (async () => {
        ops.setServing('NOT_SERVING');
        delays.stop();
        await Promise.all([ops.stop(config.shutdownGraceMs), webhook?.close(config.shutdownGraceMs)]);
      })();
      return stopping;
    },
  };
}
