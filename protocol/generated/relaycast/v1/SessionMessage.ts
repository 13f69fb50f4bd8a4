// Original file: proto/relaycast/v1/session.proto

import type { Welcome as _relaycast_v1_Welcome, Welcome__Output as _relaycast_v1_Welcome__Output } from '../../relaycast/v1/Welcome';
import type { LeaseRenewed as _relaycast_v1_LeaseRenewed, LeaseRenewed__Output as _relaycast_v1_LeaseRenewed__Output } from '../../relaycast/v1/LeaseRenewed';
import type { LeaseLost as _relaycast_v1_LeaseLost, LeaseLost__Output as _relaycast_v1_LeaseLost__Output } from '../../relaycast/v1/LeaseLost';
import type { ShardOrder as _relaycast_v1_ShardOrder, ShardOrder__Output as _relaycast_v1_ShardOrder__Output } from '../../relaycast/v1/ShardOrder';
import type { ShardRevoke as _relaycast_v1_ShardRevoke, ShardRevoke__Output as _relaycast_v1_ShardRevoke__Output } from '../../relaycast/v1/ShardRevoke';

export interface SessionMessage {
  'welcome'?: (_relaycast_v1_Welcome | null);
  'renewed'?: (_relaycast_v1_LeaseRenewed | null);
  'lost'?: (_relaycast_v1_LeaseLost | null);
  'order'?: (_relaycast_v1_ShardOrder | null);
  'revoke'?: (_relaycast_v1_ShardRevoke | null);
  'msg'?: "welcome"|"renewed"|"lost"|"order"|"revoke";
}

export interface SessionMessage__Output {
  'welcome'?: (_relaycast_v1_Welcome__Output | null);
  'renewed'?: (_relaycast_v1_LeaseRenewed__Output | null);
  'lost'?: (_relaycast_v1_LeaseLost__Output | null);
  'order'?: (_relaycast_v1_ShardOrder__Output | null);
  'revoke'?: (_relaycast_v1_ShardRevoke__Output | null);
  'msg'?: "welcome"|"renewed"|"lost"|"order"|"revoke";
}
