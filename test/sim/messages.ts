/** The wire messages of the simulated cluster: the proto's shapes, as plain objects. */
import type { NodeMessage__Output } from '../../protocol/generated/relaycast/v1/NodeMessage';
import type { SessionMessage } from '../../protocol/generated/relaycast/v1/SessionMessage';
import type { LeafBatch } from '../../protocol/generated/relaycast/v1/LeafBatch';
import type { BatchAck__Output } from '../../protocol/generated/relaycast/v1/BatchAck';

/** Node → relay or coordinator, on a session. */
export type NodeUp = NodeMessage__Output;

/** Relay or coordinator → node: a message, a close with a status code, or both (as gRPC would). */
export interface SessionDown {
  message?: SessionMessage;
  close?: { code: number; message: string };
}

/** Relay → coordinator, on the relay link. */
export type RelayUp = { hello: { clusterId: string; relayId: string; instanceId: string } } | { batch: LeafBatch };

/** Coordinator → relay. */
export type RelayDown = { welcome: true } | { batchAck: BatchAck__Output } | { close: { code: number; message: string } };

export interface ReadRequest {
  nodeKey: string;
  broadcastId: string;
  shardId: number;
  epoch: number;
  fromSequence: number;
  limit: number;
}

export type ReadReply = { firstSequence: number; count: number; shardEnd: number } | { error: string; code?: string };

export interface GatewayItem {
  key: string;
  broadcastId: string;
  sequence: number;
  recipientId: string;
}

export type GatewayOutcome = 'DELIVERED' | 'RETRY' | 'PERMANENT_FAILURE' | 'UNREACHABLE';
/** Outcomes per item; or the call failed as a whole (unavailable), or the gateway refused it (its reason). */
export type GatewayReply = { outcomes: GatewayOutcome[] } | { error: string } | { refused: string };
export type PresenceReply = { reachable: boolean[] } | { error: string } | { refused: string };

export interface DeadLetterRequest {
  nodeKey: string;
  broadcastId: string;
  shardId: number;
  epoch: number;
  deadLetters: Array<{ sequence: number; recipientId: string; reason: string; attempts: number }>;
}

export type DeadLetterReply = { ok: true } | { error: string; code?: string };


/** gRPC status codes the cores use. */
export const CODES = { OK: 0, INVALID_ARGUMENT: 3, NOT_FOUND: 5, ALREADY_EXISTS: 6, FAILED_PRECONDITION: 9, ABORTED: 10, UNAVAILABLE: 14 } as const;
