/**
 * The downstream gateway in the simulator. It honours idempotency keys (a
 * key delivered once is answered DELIVERED again without a second message),
 * counts every attempt, and has outages (every call fails), refusals (every
 * call is refused as a whole, as a gateway with a revoked credential would)
 * and slow periods (answers arrive late, so callers time out and retry).
 *
 * Recipient r<i> is unreachable when i % 13 === 5 and fails permanently
 * when i % 29 === 7, so the expected final state of every recipient is known.
 */
import type { GatewayItem, GatewayOutcome, GatewayReply, PresenceReply } from './messages';
import { Proc, type World } from './world';

export const isUnreachable = (sequence: number) => sequence % 13 === 5;
export const isPermanentFailure = (sequence: number) => !isUnreachable(sequence) && sequence % 29 === 7;
/** What a refusing gateway says. */
export const REFUSAL = 'PERMISSION_DENIED: credential revoked (simulated)';

export class SimGateway {
  readonly proc = new Proc('gateway');
  /** key → how many times a message was actually handed to a terminal (must stay 1). */
  readonly delivered = new Map<string, number>();
  attempts = 0;
  duplicateAttempts = 0;
  outage = false;
  /** Every call is refused (PERMISSION_DENIED) while set. */
  refusing = false;
  slowExtraMs = 0;
  /** Chance of a RETRY answer for a deliverable item. */
  retryChance = 0;
  /** Keys that were ever refused or answered RETRY: the only ones a node may dead-letter for want of attempts. */
  readonly triedInVain = new Set<string>();
  refusedCalls = 0;

  constructor(private readonly world: World) {}

  serve(items: GatewayItem[], respond: (reply: GatewayReply) => void): void {
    if (this.outage) return respond({ error: 'UNAVAILABLE: gateway outage' });
    if (this.refusing) {
      this.refusedCalls += 1;
      for (const item of items) this.triedInVain.add(item.key);
      return respond({ refused: REFUSAL });
    }
    const outcomes: GatewayOutcome[] = items.map((item) => {
      this.attempts += 1;
      if (this.delivered.has(item.key)) {
        this.duplicateAttempts += 1;
        return 'DELIVERED';
      }
      if (isUnreachable(item.sequence)) return 'UNREACHABLE';
      if (isPermanentFailure(item.sequence)) return 'PERMANENT_FAILURE';
      if (this.world.chance(this.retryChance)) {
        this.triedInVain.add(item.key);
        return 'RETRY';
      }
      this.delivered.set(item.key, 1);
      return 'DELIVERED';
    });
    if (this.slowExtraMs > 0) this.world.after(this.slowExtraMs, this.proc, () => respond({ outcomes }));
    else respond({ outcomes });
  }

  /** Presence: recipient r<i> is reachable unless i is an unreachable sequence. */
  servePresence(recipientIds: string[], respond: (reply: PresenceReply) => void): void {
    if (this.outage) return respond({ error: 'UNAVAILABLE: gateway outage' });
    if (this.refusing) return respond({ refused: REFUSAL });
    respond({ reachable: recipientIds.map((id) => !isUnreachable(Number(id.slice(1)))) });
  }

  deliveredOf(broadcastId: string): number {
    let n = 0;
    const prefix = `${broadcastId}/`;
    for (const key of this.delivered.keys()) if (key.startsWith(prefix)) n += 1;
    return n;
  }
}
