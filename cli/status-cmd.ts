/**
 * `relaycast status`: the cluster at a glance. Admin.GetStatus gives the
 * coordinator's figures and members by kind and state; the relay list and the
 * broadcasts that are not final come from Membership and Broadcasts.
 */
import { Command } from 'commander';
import type { ActionFactory } from './action';
import { listBroadcasts } from './broadcast-cmd';
import { countByState, statusText, type StatusView } from './format';
import { listMembers } from './nodes-cmd';
import { isFinal } from './progress-format';

export function statusCommand(action: ActionFactory): Command {
  return new Command('status')
    .description('Cluster overview: coordinator, relays, nodes by state, broadcasts in progress.')
    .action(action(async (ctx) => {
      const [status, relays, broadcasts] = await Promise.all([
        ctx.conn.unary(ctx.conn.admin, 'GetStatus', { clusterId: ctx.clusterId }),
        listMembers(ctx, undefined, 'relay'),
        listBroadcasts(ctx),
      ]);
      const active = broadcasts.filter((b) => !isFinal(b));
      const view: StatusView = {
        coordinator: ctx.conn.options.coordinator,
        clusterId: ctx.clusterId,
        status,
        relays,
        nodes: countByState(status, 'MEMBER_KIND_NODE'),
        broadcasts: { active, finished: broadcasts.length - active.length },
      };
      ctx.out.result(view, () => statusText(view));
    }));
}
