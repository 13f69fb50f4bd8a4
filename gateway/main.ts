/** `relaycast gateway-sim`: a downstream gateway that counts deliveries and duplicates. */
import { createLogger } from '../platform/log';
import { onShutdownSignal } from '../platform/process';
import type { GatewaySimConfig } from './config';
import { startGatewaySim } from './sim-server';
import { checkTransport } from '../platform/tls';

export async function runGatewaySim(config: GatewaySimConfig): Promise<void> {
  checkTransport(config, 'gateway-sim');
  const log = createLogger('gateway-sim', config.logLevel);
  const sim = await startGatewaySim(config, { log });
  log.info({
    address: sim.address,
    httpAddress: sim.httpAddress,
    latencyMs: config.latencyMs,
    retryPerMille: config.retryPerMille,
    unreachableSuffixes: config.unreachableSuffixes,
    permanentFailureSuffixes: config.permanentFailureSuffixes,
    outageWindowsMs: config.outageWindowsMs,
    seed: config.seed,
    expiredLeaseCalls: config.expiredLeaseCalls,
  }, 'gateway simulator started');
  process.stdout.write(JSON.stringify({ ready: 'gateway-sim', address: sim.address, httpAddress: sim.httpAddress }) + '\n');
  onShutdownSignal(log, () => sim.stop());
}
