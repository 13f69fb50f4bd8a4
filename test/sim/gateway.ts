/**
 * The downstream gateway in the simulator. It honours idempotency keys (a
 * key delivered once is answered DELIVERED again without a second message),
 * counts every attempt, and has outages (every call fails) and slow periods
 * (answers arrive late, so callers time out and retry).
 *
 * Recipient r<i> is unreachable when i % 13 === 5 and fails permanently
 * when i % 29 === 7, so the expected final state of every recipient is known.
 */
import type { GatewayItem, GatewayOutcome, GatewayReply } from './messages';
import { Proc, type World } from './world';

export const isUnreachable = (sequence: number) => sequence % 13 === 5;
export const isPermanentFailure = (sequence: number) => !isUnreachable(sequence) && sequence % 29 === 7;

export class SimGateway {
  readonly proc = new Proc('gateway');
  /** key → how many times a message was actually handed to a terminal (must stay 1). */
  readonly delivered = new Map<string, number>();
  attempts = 0;
  duplicateAttempts = 0;
  outage = false;
  slowExtraMs = 0;
  /** Chance of a RETRY answer for a deliverable item. */
  retryChance = 0;

  constructor(private readonly world: World) {}

  serve(items: GatewayItem[], respond: (reply: GatewayReply) => void): void {
    if (this.outage) return respond({ error: 'UNAVAILABLE: gateway outage' });
    const outcomes: GatewayOutcome[] = items.map((item) => {
      this.attempts += 1;
      if (this.delivered.has(item.key)) {
        this.duplicateAttempts += 1;
        return 'DELIVERED';
      }
      if (isUnreachable(item.sequence)) return 'UNREACHABLE';
      if (isPermanentFailure(item.sequence)) return 'PERMANENT_FAILURE';
      if (this.world.chance(this.retryChance)) return 'RETRY';
      this.delivered.set(item.key, 1);
      return 'DELIVERED';
    });
    if (this.slowExtraMs > 0) this.world.after(this.slowExtraMs, this.proc, () => respond({ outcomes }));
    else respond({ outcomes });
  }

  deliveredOf(broadcastId: string): number {
    let n = 0;
    const prefix = `${broadcastId}/`;
    for (const key of this.delivered.keys()) if (key.startsWith(prefix)) n += 1;
    return n;
  }
}
