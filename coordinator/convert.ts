/** Domain ↔ proto conversions for the coordinator's edge. */
import type { Member } from '../protocol/generated/relaycast/v1/Member';
import type { RegisterRequest__Output } from '../protocol/generated/relaycast/v1/RegisterRequest';
import type { RegisterResponse } from '../protocol/generated/relaycast/v1/RegisterResponse';
import type { WatchEvent } from '../protocol/generated/relaycast/v1/WatchEvent';
import type { MemberRecord, MembershipEvent, RegisterInput, Registration, RegistryConfig } from './core/registry';

export function registerInput(request: RegisterRequest__Output | null | undefined): RegisterInput {
  return {
    clusterId: request?.clusterId ?? '',
    memberId: request?.nodeId ?? '',
    address: request?.address ?? '',
    labels: (request?.labels ?? []).map((l) => ({ key: l.key, value: l.value })),
    capacityWeight: request?.capacityWeight ?? 0,
    instanceId: request?.instanceId ?? '',
  };
}

export function registerResponse(registration: Registration, config: RegistryConfig): RegisterResponse {
  return {
    nodeKey: registration.key,
    leaseEpoch: registration.epoch,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    downAfterMs: config.downAfterMs,
    leaseTtlMs: config.leaseTtlMs,
    revision: registration.revision,
  };
}

export function memberMessage(record: MemberRecord, extra: { ageMs?: number | undefined; relayId?: string } = {}): Member {
  return {
    nodeKey: record.key,
    clusterId: record.clusterId,
    nodeId: record.memberId,
    kind: `MEMBER_KIND_${record.kind}`,
    state: `NODE_STATE_${record.state}`,
    address: record.address,
    labels: record.labels,
    capacityWeight: record.capacityWeight,
    leaseEpoch: record.epoch,
    lastLivenessAgeMs: extra.ageMs ?? 0,
    relayId: extra.relayId ?? '',
    stateRevision: record.stateRevision,
  };
}

export function watchEventMessage(event: MembershipEvent): WatchEvent {
  return {
    revision: event.revision,
    type: `EVENT_TYPE_${event.type}`,
    node: memberMessage(event.member),
    reason: event.reason,
    atUnixMs: event.atUnixMs,
  };
}
