/** Streams an audience to Broadcasts.UploadAudience in chunks, with backpressure. */
import type { BroadcastsClient } from './generated/relaycast/v1/Broadcasts';
import type { Recipient } from './generated/relaycast/v1/Recipient';

export const UPLOAD_CHUNK_RECIPIENTS = 10_000;

/** Uploads `count` recipients made by `recipient(i)`; resolves with the upload id. */
export function uploadAudience(client: BroadcastsClient, count: number, recipient: (index: number) => Recipient, chunk = UPLOAD_CHUNK_RECIPIENTS): Promise<string> {
  return new Promise((resolve, reject) => {
    const call = client.UploadAudience((err, res) => (err ? reject(err) : resolve(res!.uploadId)));
    let next = 0;
    const pump = () => {
      while (next < count) {
        const recipients: Recipient[] = [];
        for (let i = next; i < Math.min(count, next + chunk); i++) recipients.push(recipient(i));
        next += recipients.length;
        if (!call.write({ recipients })) return void call.once('drain', pump);
      }
      call.end();
    };
    pump();
  });
}

/** The synthetic audience of the demo and the benchmarks: user-<i> with a name and a code. */
export function sampleRecipient(i: number): Recipient {
  const names = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Leslie', 'Ken', 'Radia', 'Donald', 'Frances'];
  return { id: `user-${i}`, vars: [{ key: 'name', value: names[i % names.length]! }, { key: 'code', value: String((i * 7919) % 100000).padStart(5, '0') }] };
}
