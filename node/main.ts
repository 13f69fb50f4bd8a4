/** `relaycast node`: the push worker process. */
import { randomUUID } from 'node:crypto';
import { boundAddress, createServer } from '../shared/grpc-server';
import { createLogger } from '../shared/log';
import { systemClock } from '../shared/clock';
import { onShutdownSignal } from '../shared/process';
import { NodeAgent } from './agent';
import { parseLabels, type NodeConfig } from './config';

export async function runNode(config: NodeConfig): Promise<void> {
  const instanceId = randomUUID();
  const nodeKey = `${config.cluster}/${config.id}`;
  const log = createLogger('node', config.logLevel, { nodeKey });
  const ops = createServer([]);
  const port = await ops.listen(config.listen);
  const address = boundAddress(config.listen, port);
  const endpoints = [...config.relays, ...(config.coordinator === '' ? [] : [config.coordinator])];
  const agent = new NodeAgent(
    { clusterId: config.cluster, nodeId: config.id, instanceId, address, labels: parseLabels(config.labels), capacityWeight: config.capacityWeight },
    { endpoints, relayFailoverMs: config.relayFailoverMs, reconnectBackoffMinMs: config.reconnectBackoffMinMs, reconnectBackoffMaxMs: config.reconnectBackoffMaxMs },
    systemClock,
    Math.random,
    log,
  );
  agent.on('event', (event) => {
    if (event.kind === 'fatal') {
      log.fatal({ reason: event.reason }, 'cannot register; exiting');
      process.exit(2);
    }
    ops.setServing(agent.serving ? 'SERVING' : 'NOT_SERVING');
  });
  agent.start();
  log.info({ address, endpoints, instanceId }, 'node started');
  process.stdout.write(JSON.stringify({ ready: 'node', nodeKey, address }) + '\n');

  onShutdownSignal(log, async () => {
    ops.setServing('NOT_SERVING');
    await agent.stop(config.shutdownGraceMs);
    await ops.stop(500);
  });
}
