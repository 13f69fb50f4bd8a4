/**
 * Live progress on stderr (stdout stays for results): a redrawn bar on a
 * terminal, and a plain line every few seconds otherwise (CI logs, pipes),
 * where a bar would be a wall of carriage returns.
 */
import * as cliProgress from 'cli-progress';
import type { Broadcast__Output } from '../protocol/generated/relaycast/v1/Broadcast';
import { RateEstimator, doneOf, isFinal, progressFields, progressLine, progressView, formatCount, formatPercent } from './progress-format';

/** How often the plain (non-terminal) form prints a line. */
export const PLAIN_PROGRESS_INTERVAL_MS = 2000;
const BAR_WIDTH = 28;
/** Redraws per second at most; snapshots can come faster. */
const BAR_FPS = 5;

const BROADCAST_FORMAT = ' {bar} {pct}  {doneText}/{totalText}  {rate}  ETA {etaText}  skipped {skipped}  dead-lettered {dead}  {state}';
const UPLOAD_FORMAT = ' uploading {bar} {pct}  {recipients} recipients  line {line}';

export interface ProgressStream {
  write(text: string): boolean;
  readonly isTTY?: boolean;
}

export class BroadcastProgress {
  private readonly rate = new RateEstimator();
  private bar: cliProgress.SingleBar | undefined;
  private lastPlainMs = 0;
  private lastState = '';

  constructor(
    private readonly stream: ProgressStream,
    private readonly now: () => number = Date.now,
  ) {}

  update(b: Broadcast__Output): void {
    const at = this.now();
    this.rate.add(at, doneOf(b));
    const view = progressView(b, this.rate.ratePerS());
    if (this.stream.isTTY === true) {
      const fields = progressFields(view);
      if (this.bar === undefined) {
        this.bar = new cliProgress.SingleBar({
          format: BROADCAST_FORMAT, stream: this.stream as NodeJS.WritableStream, barsize: BAR_WIDTH, hideCursor: true, fps: BAR_FPS, clearOnComplete: false,
        }, cliProgress.Presets.shades_classic);
        this.bar.start(Math.max(1, view.total), view.done, fields);
      } else {
        this.bar.setTotal(Math.max(1, view.total));
        this.bar.update(view.done, fields);
      }
      return;
    }
    // Plain lines: on a state change, at the end, and every few seconds in between.
    if (view.state !== this.lastState || isFinal(b) || at - this.lastPlainMs >= PLAIN_PROGRESS_INTERVAL_MS) {
      this.stream.write(`${progressLine(view)}\n`);
      this.lastPlainMs = at;
      this.lastState = view.state;
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

/** Upload progress by bytes read, on a terminal only: a file upload is quick to describe afterwards. */
export class UploadProgress {
  private bar: cliProgress.SingleBar | undefined;

  constructor(
    private readonly stream: ProgressStream,
    private readonly bytesTotal: number,
  ) {}

  update(bytesRead: number, recipients: number, line: number): void {
    if (this.stream.isTTY !== true) return;
    const fields = { pct: formatPercent(bytesRead, this.bytesTotal).padStart(6), recipients: formatCount(recipients), line: formatCount(line) };
    if (this.bar === undefined) {
      this.bar = new cliProgress.SingleBar({ format: UPLOAD_FORMAT, stream: this.stream as NodeJS.WritableStream, barsize: BAR_WIDTH, hideCursor: true, fps: BAR_FPS }, cliProgress.Presets.shades_classic);
      this.bar.start(Math.max(1, this.bytesTotal), bytesRead, fields);
    } else this.bar.update(Math.min(bytesRead, this.bytesTotal), fields);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
