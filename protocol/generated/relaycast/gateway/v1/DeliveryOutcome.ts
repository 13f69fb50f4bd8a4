// Original file: proto/relaycast/gateway/v1/gateway.proto

export const DeliveryOutcome = {
  DELIVERY_OUTCOME_UNSPECIFIED: 'DELIVERY_OUTCOME_UNSPECIFIED',
  /**
   * Done (also for a key delivered before).
   */
  DELIVERY_OUTCOME_DELIVERED: 'DELIVERY_OUTCOME_DELIVERED',
  /**
   * Temporary failure: relaycast keeps the item and tries again later.
   */
  DELIVERY_OUTCOME_RETRY: 'DELIVERY_OUTCOME_RETRY',
  /**
   * Will never succeed (e.g. recipient unknown): dead-lettered with the reason.
   */
  DELIVERY_OUTCOME_PERMANENT_FAILURE: 'DELIVERY_OUTCOME_PERMANENT_FAILURE',
  /**
   * The recipient is not reachable now: counted as skipped.
   */
  DELIVERY_OUTCOME_UNREACHABLE: 'DELIVERY_OUTCOME_UNREACHABLE',
} as const;

export type DeliveryOutcome =
  | 'DELIVERY_OUTCOME_UNSPECIFIED'
  | 0
  /**
   * Done (also for a key delivered before).
   */
  | 'DELIVERY_OUTCOME_DELIVERED'
  | 1
  /**
   * Temporary failure: relaycast keeps the item and tries again later.
   */
  | 'DELIVERY_OUTCOME_RETRY'
  | 2
  /**
   * Will never succeed (e.g. recipient unknown): dead-lettered with the reason.
   */
  | 'DELIVERY_OUTCOME_PERMANENT_FAILURE'
  | 3
  /**
   * The recipient is not reachable now: counted as skipped.
   */
  | 'DELIVERY_OUTCOME_UNREACHABLE'
  | 4

export type DeliveryOutcome__Output = typeof DeliveryOutcome[keyof typeof DeliveryOutcome]
