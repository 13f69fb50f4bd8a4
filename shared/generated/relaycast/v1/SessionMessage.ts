// Original file: /work/main/proto/relaycast/v1/session.proto

import type { Welcome as _relaycast_v1_Welcome, Welcome__Output as _relaycast_v1_Welcome__Output } from '../../relaycast/v1/Welcome';
import type { LeaseRenewed as _relaycast_v1_LeaseRenewed, LeaseRenewed__Output as _relaycast_v1_LeaseRenewed__Output } from '../../relaycast/v1/LeaseRenewed';
import type { LeaseLost as _relaycast_v1_LeaseLost, LeaseLost__Output as _relaycast_v1_LeaseLost__Output } from '../../relaycast/v1/LeaseLost';

export interface SessionMessage {
  'welcome'?: (_relaycast_v1_Welcome | null);
  'renewed'?: (_relaycast_v1_LeaseRenewed | null);
  'lost'?: (_relaycast_v1_LeaseLost | null);
  'msg'?: "welcome"|"renewed"|"lost";
}

export interface SessionMessage__Output {
  'welcome'?: (_relaycast_v1_Welcome__Output | null);
  'renewed'?: (_relaycast_v1_LeaseRenewed__Output | null);
  'lost'?: (_relaycast_v1_LeaseLost__Output | null);
  'msg'?: "welcome"|"renewed"|"lost";
}
