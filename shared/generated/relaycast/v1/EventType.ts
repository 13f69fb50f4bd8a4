// Original file: /work/main/proto/relaycast/v1/membership.proto

export const EventType = {
  EVENT_TYPE_UNSPECIFIED: 'EVENT_TYPE_UNSPECIFIED',
  EVENT_TYPE_REGISTERED: 'EVENT_TYPE_REGISTERED',
  EVENT_TYPE_SUSPECT: 'EVENT_TYPE_SUSPECT',
  EVENT_TYPE_RECOVERED: 'EVENT_TYPE_RECOVERED',
  EVENT_TYPE_DOWN: 'EVENT_TYPE_DOWN',
  EVENT_TYPE_DRAINING: 'EVENT_TYPE_DRAINING',
  EVENT_TYPE_LEFT: 'EVENT_TYPE_LEFT',
} as const;

export type EventType =
  | 'EVENT_TYPE_UNSPECIFIED'
  | 0
  | 'EVENT_TYPE_REGISTERED'
  | 1
  | 'EVENT_TYPE_SUSPECT'
  | 2
  | 'EVENT_TYPE_RECOVERED'
  | 3
  | 'EVENT_TYPE_DOWN'
  | 4
  | 'EVENT_TYPE_DRAINING'
  | 5
  | 'EVENT_TYPE_LEFT'
  | 6

export type EventType__Output = typeof EventType[keyof typeof EventType]
