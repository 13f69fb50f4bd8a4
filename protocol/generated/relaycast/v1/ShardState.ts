// Original file: proto/relaycast/v1/broadcasts.proto

export const ShardState = {
  SHARD_STATE_UNSPECIFIED: 'SHARD_STATE_UNSPECIFIED',
  SHARD_STATE_PENDING: 'SHARD_STATE_PENDING',
  SHARD_STATE_ASSIGNED: 'SHARD_STATE_ASSIGNED',
  SHARD_STATE_DONE: 'SHARD_STATE_DONE',
} as const;

export type ShardState =
  | 'SHARD_STATE_UNSPECIFIED'
  | 0
  | 'SHARD_STATE_PENDING'
  | 1
  | 'SHARD_STATE_ASSIGNED'
  | 2
  | 'SHARD_STATE_DONE'
  | 3

export type ShardState__Output = typeof ShardState[keyof typeof ShardState]
