/**
 * Probes for the multi-process tests: read a /metrics endpoint (Prometheus
 * text format) and ask a gRPC port's health, without generated code.
 */
import * as grpc from '@grpc/grpc-js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SCRAPE_TIMEOUT_MS = 5_000;
const SAMPLE_LINE = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/;
const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (match === null) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(LABEL)) labels[key!] = raw!.replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

export async function scrape(address: string): Promise<Sample[]> {
  const response = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
  if (response.status !== 200) throw new Error(`GET http://${address}/metrics: HTTP ${response.status}`);
  expectContentType(response.headers.get('content-type'));
  return parseMetrics(await response.text());
}

function expectContentType(type: string | null): void {
  if (type === null || !type.startsWith('text/plain')) throw new Error(`/metrics content-type is ${type}, expected text/plain`);
}

/** The sum of every sample named `name` whose labels include `labels` (0 when there is none). */
export function metricValue(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

/** Whether any sample named `name` exists. */
export function hasMetric(samples: readonly Sample[], name: string): boolean {
  return samples.some((s) => s.name === name);
}

const HEALTH_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** grpc.health.v1.Health/Check for the whole server: SERVING, NOT_SERVING, ... (a failed call throws). */
export function healthStatus(address: string, timeoutMs = 5_000): Promise<string> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<string>((resolve, reject) => {
    // HealthCheckRequest{} encodes to nothing; HealthCheckResponse is field 1, a varint enum.
    client.makeUnaryRequest('/grpc.health.v1.Health/Check', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), { deadline: Date.now() + timeoutMs }, (err, res) => {
      if (err) return reject(err);
      resolve(res!.length === 0 ? 'UNKNOWN' : HEALTH_STATUS[res![1]!] ?? `status ${res![1]}`);
    });
  }).finally(() => client.close());
}
