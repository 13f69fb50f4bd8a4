/** Streams an audience to Broadcasts.UploadAudience in chunks, with backpressure. */
import type * as grpc from '@grpc/grpc-js';
import type { BroadcastsClient } from '../protocol/generated/relaycast/v1/Broadcasts';
import type { Recipient } from '../protocol/generated/relaycast/v1/Recipient';
import type { AudienceChunk } from '../protocol/generated/relaycast/v1/AudienceChunk';
import type { UploadAudienceResponse__Output } from '../protocol/generated/relaycast/v1/UploadAudienceResponse';

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

/**
 * Uploads chunks as `chunks` yields them (a file being read, say), one write
 * per chunk, waiting for the stream to drain so memory stays at a few chunks
 * whatever the audience size. The call opens with the first chunk, so a
 * source that fails before yielding anything never reaches the coordinator.
 * If the source throws, the upload is abandoned (see abandonUpload) and the
 * source's error is rethrown: no upload id comes back, so no broadcast can
 * be created from it.
 */
export async function uploadAudienceFrom(
  client: BroadcastsClient,
  chunks: AsyncIterable<Recipient[]>,
  callOptions: grpc.CallOptions = {},
): Promise<UploadAudienceResponse__Output> {
  let call: grpc.ClientWritableStream<AudienceChunk> | undefined;
  let outcome: Promise<UploadAudienceResponse__Output> | undefined;
  let failure: grpc.ServiceError | undefined;
  const open = (): grpc.ClientWritableStream<AudienceChunk> => {
    let opened!: grpc.ClientWritableStream<AudienceChunk>;
    outcome = new Promise((resolve, reject) => {
      opened = client.UploadAudience(callOptions, (err, res) => {
        if (err) {
          failure = err;
          reject(err);
        } else resolve(res!);
      });
    });
    // Observed through `failure` while writing; awaited at the end.
    outcome.catch(() => undefined);
    call = opened;
    return opened;
  };
  try {
    for await (const recipients of chunks) {
      const stream = call ?? open();
      if (failure !== undefined) throw failure;
      if (!stream.write({ recipients })) await drainedOrSettled(stream, outcome!);
      if (failure !== undefined) throw failure;
    }
  } catch (err) {
    if (call !== undefined && failure === undefined) await abandonUpload(call, outcome!);
    throw err;
  }
  const stream = call ?? open();
  stream.end();
  return outcome!;
}

/** How long an abandoned upload waits for the coordinator's refusal before cancelling. */
const ABANDON_WAIT_MS = 3000;
/** A recipient without an id, which the coordinator always refuses. */
const ABANDON_CHUNK: AudienceChunk = { recipients: [{ id: '', vars: [] }] };

/**
 * Ends an upload so that the coordinator keeps none of it. A plain cancel is
 * not enough: grpc-js delivers the client's cancel to the server as 'end'
 * followed by 'cancelled', and the coordinator would store the part
 * received as a complete upload. A chunk it must refuse takes the
 * documented path instead ("an upload with a bad chunk fails with
 * INVALID_ARGUMENT, and nothing of it is kept").
 */
async function abandonUpload(call: grpc.ClientWritableStream<AudienceChunk>, outcome: Promise<unknown>): Promise<void> {
  call.write(ABANDON_CHUNK);
  call.end();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([outcome.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, ABANDON_WAIT_MS)))]);
  clearTimeout(timer);
  call.cancel();
}

/** 'drain', or the call ending (an error from the server never drains). */
function drainedOrSettled(stream: grpc.ClientWritableStream<AudienceChunk>, outcome: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      resolve();
    };
    stream.on('drain', done);
    outcome.then(done, done);
  });
}
