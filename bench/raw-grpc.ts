/**
 * The raw limit: a bare grpc-js client streams 500-item batches of delivery
 * items (same shape and size as relaycast's) to a bare grpc-js server in
 * another process. `node raw-grpc.js serve` runs the server; `measure()`
 * runs the client against it and returns items/s.
 */
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { LOADER_OPTIONS, PROTO_DIR } from '../protocol/proto';
import type { DeliveryItem } from '../protocol/generated/relaycast/gateway/v1/DeliveryItem';

interface RawSinkClient extends grpc.Client {
  Push(callback: (err: grpc.ServiceError | null, res?: { items: number }) => void): grpc.ClientWritableStream<{ items: DeliveryItem[] }>;
}

function sinkService(): { service: grpc.ServiceDefinition; Client: new (address: string, creds: grpc.ChannelCredentials) => RawSinkClient } {
  const def = protoLoader.loadSync(path.join(__dirname, '..', '..', 'bench', 'raw.proto'), { ...LOADER_OPTIONS, includeDirs: [PROTO_DIR] });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { relaycast: { bench: { RawSink: grpc.ServiceClientConstructor } } };
  const ctor = pkg.relaycast.bench.RawSink;
  return { service: ctor.service, Client: ctor as unknown as new (address: string, creds: grpc.ChannelCredentials) => RawSinkClient };
}

export function sampleItem(sequence: number, broadcastId = 'bc-0mwr9cb9fa63752905e'): DeliveryItem {
  const name = ['Ada', 'Grace', 'Alan', 'Edsger'][sequence % 4]!;
  return { idempotencyKey: `${broadcastId}/${sequence}`, recipientId: `user-${sequence}`, text: `Hello ${name}, your code is ${String((sequence * 7919) % 100000).padStart(5, '0')} (user-${sequence}).`, broadcastId, sequence };
}

export async function measure(address: string, items: number, batchSize = 500): Promise<number> {
  const { Client } = sinkService();
  const client = new Client(address, grpc.credentials.createInsecure());
  const batches = Math.ceil(items / batchSize);
  // Pre-build batches so that only transport is measured.
  const prepared = Array.from({ length: Math.min(batches, 50) }, (_, b) => ({ items: Array.from({ length: batchSize }, (_, i) => sampleItem(b * batchSize + i)) }));
  const started = process.hrtime.bigint();
  const counted = await new Promise<number>((resolve, reject) => {
    const call = client.Push((err, res) => (err ? reject(err) : resolve(res!.items)));
    let sent = 0;
    const pump = () => {
      while (sent < batches) {
        const ok = call.write(prepared[sent % prepared.length]!);
        sent += 1;
        if (!ok) return void call.once('drain', pump);
      }
      call.end();
    };
    pump();
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  client.close();
  return counted / seconds;
}

if (require.main === module && process.argv[2] === 'serve') {
  const { service } = sinkService();
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  server.addService(service, {
    Push(call: grpc.ServerReadableStream<{ items: DeliveryItem[] }, { items: number }>, callback: grpc.sendUnaryData<{ items: number }>) {
      let items = 0;
      call.on('data', (batch: { items: DeliveryItem[] }) => {
        items += batch.items.length;
      });
      call.on('end', () => callback(null, { items }));
    },
  });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    process.stdout.write(JSON.stringify({ ready: 'raw-sink', address: `127.0.0.1:${port}` }) + '\n');
  });
  process.on('SIGTERM', () => process.exit(0));
}
