/**
 * What a relay accepts from a leaf. The relay holds leaf messages and
 * forwards them in batches, so it checks them itself rather than leave it to
 * the coordinator: an attach the coordinator would refuse anyway, or a
 * liveness packet with a huge progress list, is refused here, before it can
 * swell a batch that every other leaf's liveness travels in.
 */
import type { NodeMessage__Output } from '../protocol/generated/relaycast/v1/NodeMessage';
import { CAPACITY_WEIGHT_MAX, checkAddress, checkId, checkInstanceId, checkLabels } from '../protocol/validate';

/** A node reports its shards: a few per unit of capacity, and recently finished ones for a while. */
export const PROGRESS_ENTRIES_MAX = 10_000;
/** Broadcast ids are made by the coordinator (22 characters). */
export const PROGRESS_BROADCAST_ID_LENGTH_MAX = 64;

/** Why `message` is refused (INVALID_ARGUMENT), or undefined when it is acceptable. */
export function checkLeafMessage(message: NodeMessage__Output): string | undefined {
  const register = message.attach?.register;
  if (message.msg === 'attach' && register) {
    const checks = [
      checkId('cluster_id', register.clusterId),
      checkId('node_id', register.nodeId),
      checkInstanceId('instance_id', register.instanceId),
      checkAddress('address', register.address),
      checkLabels('labels', register.labels),
    ];
    for (const check of checks) if (!check.ok) return check.error.message;
    if (register.capacityWeight > CAPACITY_WEIGHT_MAX) return `capacity_weight must be 0-${CAPACITY_WEIGHT_MAX}, got ${register.capacityWeight}`;
  }
  const progress = message.liveness?.progress;
  if (message.msg === 'liveness' && progress) {
    if (progress.length > PROGRESS_ENTRIES_MAX) return `liveness carries ${progress.length} shard progress entries; at most ${PROGRESS_ENTRIES_MAX}`;
    for (const [i, p] of progress.entries()) {
      if (p.broadcastId.length > PROGRESS_BROADCAST_ID_LENGTH_MAX) return `progress[${i}].broadcast_id is ${p.broadcastId.length} characters; at most ${PROGRESS_BROADCAST_ID_LENGTH_MAX}`;
    }
  }
  return undefined;
}
