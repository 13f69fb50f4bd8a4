// Original file: proto/relaycast/v1/membership.proto

export const NodeState = {
  NODE_STATE_UNSPECIFIED: 'NODE_STATE_UNSPECIFIED',
  NODE_STATE_ALIVE: 'NODE_STATE_ALIVE',
  NODE_STATE_SUSPECT: 'NODE_STATE_SUSPECT',
  NODE_STATE_DOWN: 'NODE_STATE_DOWN',
  NODE_STATE_DRAINING: 'NODE_STATE_DRAINING',
  NODE_STATE_LEFT: 'NODE_STATE_LEFT',
} as const;

export type NodeState =
  | 'NODE_STATE_UNSPECIFIED'
  | 0
  | 'NODE_STATE_ALIVE'
  | 1
  | 'NODE_STATE_SUSPECT'
  | 2
  | 'NODE_STATE_DOWN'
  | 3
  | 'NODE_STATE_DRAINING'
  | 4
  | 'NODE_STATE_LEFT'
  | 5

export type NodeState__Output = typeof NodeState[keyof typeof NodeState]
