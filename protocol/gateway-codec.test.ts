/**
 * The hand-written Deliver codec stays equal to protobufjs as proto-loader
 * uses it (LOADER_OPTIONS): random messages from a seeded PRNG both ways,
 * unknown fields, malformed and truncated input, and a guard that fails when
 * the Deliver messages in gateway.proto change under the codec.
 */
import type { Long, ProtobufTypeDefinition } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import type { ProtoGrpcType as GatewayProto } from './generated/gateway';
import type { DeliverRequest, DeliverRequest__Output } from './generated/relaycast/gateway/v1/DeliverRequest';
import type { DeliverResponse, DeliverResponse__Output } from './generated/relaycast/gateway/v1/DeliverResponse';
import type { DeliveryItem } from './generated/relaycast/gateway/v1/DeliveryItem';
import type { DeliveryOutcome, DeliveryOutcome__Output } from './generated/relaycast/gateway/v1/DeliveryOutcome';
import type { DeliveryResult } from './generated/relaycast/gateway/v1/DeliveryResult';
import { decodeDeliverRequest, decodeDeliverResponse, encodeDeliverRequest, encodeDeliverResponse } from './gateway-codec';
import { loadProtos } from './proto';

/** proto-loader's own (protobufjs) serializers for Deliver: what the codec replaces. */
const protobufjs = (loadProtos().proto as unknown as GatewayProto).relaycast.gateway.v1.Gateway.service.Deliver;

const OUTCOME_NAMES = [
  'DELIVERY_OUTCOME_UNSPECIFIED',
  'DELIVERY_OUTCOME_DELIVERED',
  'DELIVERY_OUTCOME_RETRY',
  'DELIVERY_OUTCOME_PERMANENT_FAILURE',
  'DELIVERY_OUTCOME_UNREACHABLE',
] as const;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

// ------------------------------------------------------------ random input

/** mulberry32: the same seed gives the same messages on every run. */
class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  /** A non-negative integer of 0 to `bits` random bits (so every varint size is common). */
  integer(bits: number): number {
    const width = this.int(bits + 1);
    const hi = width > 32 ? this.int(2 ** (width - 32)) : 0;
    const lo = width >= 32 ? this.int(2 ** 32) : this.int(2 ** width);
    return hi * 2 ** 32 + lo;
  }
}

const ASCII = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 /-_.,:;!?"\'{}[]\\\t\n';
/** Non-ASCII pieces: 2, 3 and 4 UTF-8 bytes, emoji (surrogate pairs, ZWJ sequences), lone surrogates, NUL, DEL, U+FFFF/U+FFFD. */
const OTHER = ['é', 'ß', 'ñ', 'Ω', '€', '中', '文', '\u2028', '😀', '👍🏽', '👩‍👩‍👧', '𝕏', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\u0000', '\u007F', '\u0080', '\u07FF', '\u0800', '\uFFFF', '\uFFFD'];
const SEQUENCE_EDGES = [0, 1, 127, 128, 16_383, 16_384, 2 ** 21 - 1, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 35, 2 ** 42, 2 ** 49, 2 ** 52, MAX_SAFE - 1, MAX_SAFE];

function randomString(r: Prng): string {
  const kind = r.int(10);
  if (kind === 0) return '';
  const length = kind < 6 ? 1 + r.int(20) : kind < 9 ? 20 + r.int(100) : 120 + r.int(2000);
  const nonAscii = r.chance(0.5) ? 0 : r.pick([0.02, 0.2, 0.8]);
  let s = '';
  while (s.length < length) s += r.chance(nonAscii) ? r.pick(OTHER) : ASCII[r.int(ASCII.length)]!;
  return s;
}

function randomSequence(r: Prng): number {
  return r.chance(0.3) ? r.pick(SEQUENCE_EDGES) : r.integer(53);
}

function batchSize(r: Prng): number {
  const k = r.int(10);
  return k === 0 ? 0 : k === 1 ? 1 : k === 2 ? 500 : 2 + r.int(30);
}

/** Fields left out sometimes (optional in the input type), set to their default sometimes. */
function randomItem(r: Prng): DeliveryItem {
  const item: DeliveryItem = {};
  if (!r.chance(0.05)) item.idempotencyKey = randomString(r);
  if (!r.chance(0.05)) item.recipientId = randomString(r);
  if (!r.chance(0.05)) item.text = randomString(r);
  if (!r.chance(0.05)) item.broadcastId = r.chance(0.5) ? 'bc-shared-id' : randomString(r);
  if (!r.chance(0.05)) item.sequence = randomSequence(r);
  return item;
}

function randomRequest(r: Prng): DeliverRequest {
  return { items: Array.from({ length: batchSize(r) }, () => randomItem(r)) };
}

/** Names and numbers, as the input type allows. */
function randomOutcome(r: Prng): DeliveryOutcome {
  const n = r.int(OUTCOME_NAMES.length);
  return r.chance(0.2) ? (n as DeliveryOutcome) : OUTCOME_NAMES[n]!;
}

function randomResult(r: Prng, outcome: (r: Prng) => DeliveryOutcome = randomOutcome): DeliveryResult {
  const result: DeliveryResult = {};
  if (!r.chance(0.05)) result.idempotencyKey = randomString(r);
  if (!r.chance(0.05)) result.outcome = outcome(r);
  if (!r.chance(0.05)) result.reason = r.chance(0.6) ? '' : randomString(r);
  return result;
}

function randomResponse(r: Prng, outcome?: (r: Prng) => DeliveryOutcome): DeliverResponse {
  return { results: Array.from({ length: batchSize(r) }, () => randomResult(r, outcome)) };
}

/** Enum numbers the codec has no name for (open enum), int32 edges included. */
const UNKNOWN_OUTCOMES = [5, 6, 127, 128, 1000, 2 ** 31 - 1, -1, -2, -128, -(2 ** 31)];

// ------------------------------------------------------- expected objects

/** What a string comes back as after UTF-8 (lone surrogates become U+FFFD). */
function utf8(s: string | undefined): string {
  return Buffer.from(s ?? '', 'utf8').toString('utf8');
}

function isWellFormed(s: string | undefined): boolean {
  return utf8(s) === (s ?? '');
}

function expectedRequest(request: DeliverRequest): DeliverRequest__Output {
  return {
    items: (request.items ?? []).map((item) => ({
      idempotencyKey: utf8(item.idempotencyKey),
      recipientId: utf8(item.recipientId),
      text: utf8(item.text),
      broadcastId: utf8(item.broadcastId),
      sequence: Number(item.sequence ?? 0),
    })),
  };
}

function expectedResponse(response: DeliverResponse): DeliverResponse__Output {
  return {
    results: (response.results ?? []).map((result) => {
      const outcome = result.outcome ?? 0;
      return {
        idempotencyKey: utf8(result.idempotencyKey),
        // proto-loader gives a number the enum does not name as that number (its type does not say so).
        outcome: typeof outcome === 'number' ? (OUTCOME_NAMES[outcome] ?? (outcome as unknown as DeliveryOutcome__Output)) : outcome,
        reason: utf8(result.reason),
      };
    }),
  };
}

/** The message with proto3 defaults left out: protobufjs then writes exactly what the codec writes. */
function withoutDefaults(request: DeliverRequest): DeliverRequest {
  return {
    items: (request.items ?? []).map((item) => {
      const out: DeliveryItem = {};
      if (item.idempotencyKey) out.idempotencyKey = item.idempotencyKey;
      if (item.recipientId) out.recipientId = item.recipientId;
      if (item.text) out.text = item.text;
      if (item.broadcastId) out.broadcastId = item.broadcastId;
      if (item.sequence) out.sequence = item.sequence;
      return out;
    }),
  };
}

function responseWithoutDefaults(response: DeliverResponse): DeliverResponse {
  return {
    results: (response.results ?? []).map((result) => {
      const out: DeliveryResult = {};
      if (result.idempotencyKey) out.idempotencyKey = result.idempotencyKey;
      if (result.outcome !== undefined && result.outcome !== 0 && result.outcome !== 'DELIVERY_OUTCOME_UNSPECIFIED') out.outcome = result.outcome;
      if (result.reason) out.reason = result.reason;
      return out;
    }),
  };
}

function requestStrings(request: DeliverRequest): Array<string | undefined> {
  return (request.items ?? []).flatMap((i) => [i.idempotencyKey, i.recipientId, i.text, i.broadcastId]);
}

function responseStrings(response: DeliverResponse): Array<string | undefined> {
  return (response.results ?? []).flatMap((r) => [r.idempotencyKey, r.reason]);
}

// ------------------------------------------------------ a test wire writer

/** Independent of both implementations: builds wire bytes field by field (also malformed ones). */
class Wire {
  readonly bytes: number[] = [];

  varint(value: number | bigint, padTo = 0): this {
    let v = BigInt.asUintN(64, BigInt(value));
    let written = 0;
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      written++;
      if (v !== 0n || written < padTo) byte |= 0x80;
      this.bytes.push(byte);
    } while (v !== 0n);
    // Non-canonical but valid: zero groups with the continuation bit, then a final 0.
    while (written < padTo) {
      written++;
      this.bytes.push(written < padTo ? 0x80 : 0);
    }
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.bytes.push(bytes[i]!);
    return this;
  }

  lengthDelimited(field: number, data: ArrayLike<number>): this {
    return this.tag(field, 2).varint(data.length).raw(data);
  }

  string(field: number, s: string): this {
    return this.lengthDelimited(field, Buffer.from(s, 'utf8'));
  }

  buffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

/** A random unknown field (wire type 0, 1, 2 or 5) whose number is not below `firstFree`. */
function unknownField(r: Prng, w: Wire, firstFree: number): void {
  const field = r.chance(0.5) ? firstFree + r.int(20) : firstFree + r.int(2 ** 29 - firstFree);
  switch (r.pick([0, 1, 2, 5])) {
    case 0:
      w.tag(field, 0).varint(BigInt(r.int(2 ** 32)) * BigInt(r.int(2 ** 32)) + BigInt(r.int(1000)));
      break;
    case 1:
      w.tag(field, 1).raw(Array.from({ length: 8 }, () => r.int(256)));
      break;
    case 2:
      w.lengthDelimited(field, r.chance(0.3) ? Buffer.from(randomString(r), 'utf8') : Array.from({ length: r.int(300) }, () => r.int(256)));
      break;
    default:
      w.tag(field, 5).raw(Array.from({ length: 4 }, () => r.int(256)));
  }
}

function shuffle<T>(r: Prng, list: T[]): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

/**
 * Every known field (in random order, defaults written too) with unknown
 * fields among them, after some decoys: other values for the same fields,
 * which the later ones override (the last value wins).
 */
function writeWithUnknownFields(r: Prng, fields: Array<(w: Wire) => void>, decoys: Array<(w: Wire) => void>, firstFree: number): number[] {
  const w = new Wire();
  for (const decoy of decoys) if (r.chance(0.1)) decoy(w);
  const parts = [...fields];
  const unknown = r.int(4);
  for (let i = 0; i < unknown; i++) parts.push((v) => unknownField(r, v, firstFree));
  for (const part of shuffle(r, parts)) part(w);
  return w.bytes;
}

// ------------------------------------------------------------------ tests

describe('gateway codec: the Deliver messages it was written for', () => {
  /** The descriptor proto-loader keeps for a message or enum (DescriptorProto / EnumDescriptorProto as objects). */
  const descriptor = <T>(name: string) => (loadProtos().definition[`relaycast.gateway.v1.${name}`] as ProtobufTypeDefinition).type as T;
  const fields = (message: string) =>
    descriptor<{ field: Array<{ name: string; number: number; type: string; label: string; typeName: string }> }>(message).field.map((f) => `${f.number} ${f.name} ${f.label} ${f.type} ${f.typeName}`.trim());

  it('still match gateway.proto (change protocol/gateway-codec.ts with them)', () => {
    expect(fields('DeliverRequest')).toEqual(['1 items LABEL_REPEATED TYPE_MESSAGE DeliveryItem']);
    expect(fields('DeliveryItem')).toEqual([
      '1 idempotencyKey LABEL_OPTIONAL TYPE_STRING',
      '2 recipientId LABEL_OPTIONAL TYPE_STRING',
      '3 text LABEL_OPTIONAL TYPE_STRING',
      '4 broadcastId LABEL_OPTIONAL TYPE_STRING',
      '5 sequence LABEL_OPTIONAL TYPE_UINT64',
    ]);
    expect(fields('DeliverResponse')).toEqual(['1 results LABEL_REPEATED TYPE_MESSAGE DeliveryResult']);
    expect(fields('DeliveryResult')).toEqual([
      '1 idempotencyKey LABEL_OPTIONAL TYPE_STRING',
      '2 outcome LABEL_OPTIONAL TYPE_ENUM DeliveryOutcome',
      '3 reason LABEL_OPTIONAL TYPE_STRING',
    ]);
    const outcome = descriptor<{ value: Array<{ name: string; number: number }> }>('DeliveryOutcome');
    expect(outcome.value.map((v) => `${v.number} ${v.name}`)).toEqual(OUTCOME_NAMES.map((name, i) => `${i} ${name}`));
  });
});

describe('gateway codec: ours encodes, protobufjs decodes', () => {
  it('DeliverRequest: random messages come back as they went in, byte-identical to protobufjs without defaults', () => {
    const r = new Prng(1);
    for (let run = 0; run < 400; run++) {
      const request = randomRequest(r);
      const bytes = encodeDeliverRequest(request);
      const expected = expectedRequest(request);
      expect(protobufjs.requestDeserialize(bytes)).toStrictEqual(expected);
      expect(decodeDeliverRequest(bytes)).toStrictEqual(expected);
      // protobufjs writes lone surrogates its own way (see the codec's header); otherwise the bytes are the same.
      if (requestStrings(request).every(isWellFormed)) expect(bytes.toString('hex')).toBe(protobufjs.requestSerialize(withoutDefaults(request)).toString('hex'));
    }
  });

  it('DeliverResponse: random messages come back as they went in, byte-identical to protobufjs without defaults', () => {
    const r = new Prng(2);
    for (let run = 0; run < 400; run++) {
      const response = randomResponse(r);
      const bytes = encodeDeliverResponse(response);
      const expected = expectedResponse(response);
      expect(protobufjs.responseDeserialize(bytes)).toStrictEqual(expected);
      expect(decodeDeliverResponse(bytes)).toStrictEqual(expected);
      if (responseStrings(response).every(isWellFormed)) expect(bytes.toString('hex')).toBe(protobufjs.responseSerialize(responseWithoutDefaults(response)).toString('hex'));
    }
  });

  it('outcome numbers the enum does not name are sent as given (negative ones as 10 bytes) and come back as numbers', () => {
    const r = new Prng(3);
    for (let run = 0; run < 100; run++) {
      const response = randomResponse(r, (p) => (p.chance(0.5) ? (p.pick(UNKNOWN_OUTCOMES) as DeliveryOutcome) : randomOutcome(p)));
      const bytes = encodeDeliverResponse(response);
      expect(protobufjs.responseDeserialize(bytes)).toStrictEqual(expectedResponse(response));
      expect(decodeDeliverResponse(bytes)).toStrictEqual(expectedResponse(response));
      if (responseStrings(response).every(isWellFormed)) expect(bytes.toString('hex')).toBe(protobufjs.responseSerialize(responseWithoutDefaults(response)).toString('hex'));
    }
  });

  it('every outcome, by name and by number', () => {
    OUTCOME_NAMES.forEach((name, number) => {
      const byName = encodeDeliverResponse({ results: [{ idempotencyKey: 'k', outcome: name }] });
      const byNumber = encodeDeliverResponse({ results: [{ idempotencyKey: 'k', outcome: number as DeliveryOutcome }] });
      expect(byNumber.equals(byName)).toBe(true);
      expect(protobufjs.responseDeserialize(byName)).toStrictEqual({ results: [{ idempotencyKey: 'k', outcome: name, reason: '' }] });
    });
  });

  it('strings are UTF-8 exactly as Buffer.from(s, "utf8"), lone surrogates included', () => {
    for (const text of ['\uD800', 'a\uDC00b', '\uDBFF\uDBFF', 'x'.repeat(50) + '\uD83D', '😀\uD83D', 'é€😀', '\u0000\u007F\u0080', 'a'.repeat(200) + 'é']) {
      // Wire.string writes Buffer.from(text, 'utf8').
      const expected = new Wire().lengthDelimited(1, new Wire().string(3, text).bytes).buffer();
      expect(encodeDeliverRequest({ items: [{ text }] }).toString('hex')).toBe(expected.toString('hex'));
      expect(encodeDeliverResponse({ results: [{ reason: text }] }).toString('hex')).toBe(expected.toString('hex'));
    }
  });

  it('proto3 defaults are not written', () => {
    expect(encodeDeliverRequest({ items: [{ idempotencyKey: '', recipientId: '', text: '', broadcastId: '', sequence: 0 }, {}] }).toString('hex')).toBe('0a000a00');
    expect(encodeDeliverResponse({ results: [{ idempotencyKey: '', outcome: 'DELIVERY_OUTCOME_UNSPECIFIED', reason: '' }, { outcome: 0 }] }).toString('hex')).toBe('0a000a00');
    expect(encodeDeliverRequest({ items: [] }).length).toBe(0);
    expect(encodeDeliverRequest({}).length).toBe(0);
    expect(encodeDeliverResponse({}).length).toBe(0);
  });

  it('sequence: numbers, decimal strings and Longs up to 2^53-1, as protobufjs writes them', () => {
    for (const n of [...SEQUENCE_EDGES, 300, 1_000_000]) {
      const asLong = { low: n % 2 ** 32 | 0, high: Math.floor(n / 2 ** 32) | 0, unsigned: true } as unknown as Long;
      const expected = protobufjs.requestSerialize(withoutDefaults({ items: [{ sequence: n }] })).toString('hex');
      for (const sequence of [n, String(n), asLong]) {
        expect(encodeDeliverRequest({ items: [{ sequence }] }).toString('hex')).toBe(expected);
      }
      expect(protobufjs.requestDeserialize(encodeDeliverRequest({ items: [{ sequence: n }] })).items[0]!.sequence).toBe(n);
    }
  });

  it('refuses values it cannot send faithfully, with a clear error', () => {
    const badSequences: Array<number | string> = [-1, 1.5, MAX_SAFE + 1, 2 ** 64, Number.NaN, Number.POSITIVE_INFINITY, '-1', '1e3', '0x10', ' 1', '', 'abc', '18446744073709551615'];
    for (const sequence of badSequences) {
      const shown = typeof sequence === 'string' ? JSON.stringify(sequence) : String(sequence);
      expect(() => encodeDeliverRequest({ items: [{ idempotencyKey: 'k', sequence }] }), shown).toThrow(`items[0].sequence must be an integer from 0 to 2^53-1, got ${shown}`);
    }
    const bigLong = { low: 0, high: 2 ** 21, unsigned: true } as unknown as Long;
    expect(() => encodeDeliverRequest({ items: [{}, { sequence: bigLong }] })).toThrow(/items\[1\]\.sequence must be an integer from 0 to 2\^53-1, got the Long 9007199254740992/);
    expect(() => encodeDeliverRequest({ items: [{ sequence: {} as unknown as Long }] })).toThrow(/got an object that is not a Long/);
    for (const outcome of ['DELIVERED', 'bogus', 'toString', 1.5, Number.NaN, 2 ** 31, -(2 ** 31) - 1]) {
      const shown = typeof outcome === 'string' ? JSON.stringify(outcome) : String(outcome);
      expect(() => encodeDeliverResponse({ results: [{ outcome: outcome as DeliveryOutcome }] }), shown).toThrow(`results[0].outcome ${shown} is not a DeliveryOutcome`);
    }
    expect(() => encodeDeliverRequest({ items: [{ text: 42 as unknown as string }] })).toThrow(/DeliveryItem\.text must be a string, got number/);
    expect(() => encodeDeliverResponse({ results: [{ reason: {} as unknown as string }] })).toThrow(/DeliveryResult\.reason must be a string, got object/);
    expect(() => encodeDeliverRequest({ items: 'x' as unknown as DeliveryItem[] })).toThrow(/items must be an array/);
    expect(() => encodeDeliverRequest({ items: [{}, null as unknown as DeliveryItem] })).toThrow(/items\[1\] must be an object/);
    expect(() => encodeDeliverResponse({ results: [7 as unknown as DeliveryResult] })).toThrow(/results\[0\] must be an object/);
  });
});

describe('gateway codec: protobufjs encodes, ours decodes', () => {
  it('DeliverRequest: the same objects as proto-loader, defaults written or not, key order included', () => {
    const r = new Prng(4);
    for (let run = 0; run < 400; run++) {
      const request = randomRequest(r);
      // Beyond 2^53-1 (as decimal strings, which protobufjs takes): both give the nearest double.
      for (const item of request.items!) if (r.chance(0.02)) item.sequence = r.pick(['18446744073709551615', '9007199254740993', '9223372036854775808', '12345678901234567890']);
      const bytes = protobufjs.requestSerialize(r.chance(0.5) ? request : withoutDefaults(request));
      const ours = decodeDeliverRequest(bytes);
      expect(ours).toStrictEqual(protobufjs.requestDeserialize(bytes));
      if (ours.items.length > 0) expect(Object.keys(ours.items[0]!)).toEqual(Object.keys(protobufjs.requestDeserialize(bytes).items[0]!));
    }
  });

  it('DeliverResponse: the same objects as proto-loader, unknown outcome numbers included', () => {
    const r = new Prng(5);
    for (let run = 0; run < 400; run++) {
      const response = randomResponse(r, (p) => (p.chance(0.1) ? (p.pick(UNKNOWN_OUTCOMES) as DeliveryOutcome) : randomOutcome(p)));
      const bytes = protobufjs.responseSerialize(r.chance(0.5) ? response : responseWithoutDefaults(response));
      const ours = decodeDeliverResponse(bytes);
      expect(ours).toStrictEqual(protobufjs.responseDeserialize(bytes));
      if (ours.results.length > 0) expect(Object.keys(ours.results[0]!)).toEqual(Object.keys(protobufjs.responseDeserialize(bytes).results[0]!));
    }
  });

  it('empty messages', () => {
    expect(decodeDeliverRequest(Buffer.alloc(0))).toStrictEqual({ items: [] });
    expect(decodeDeliverResponse(Buffer.alloc(0))).toStrictEqual({ results: [] });
    expect(decodeDeliverRequest(Buffer.from('0a00', 'hex'))).toStrictEqual(protobufjs.requestDeserialize(Buffer.from('0a00', 'hex')));
    expect(decodeDeliverResponse(Buffer.from('0a00', 'hex'))).toStrictEqual(protobufjs.responseDeserialize(Buffer.from('0a00', 'hex')));
  });
});

describe('gateway codec: unknown fields', () => {
  function itemBytes(r: Prng, item: DeliveryItem): number[] {
    const pad = () => (r.chance(0.2) ? 2 + r.int(4) : 0);
    return writeWithUnknownFields(
      r,
      [
        (w) => w.string(1, item.idempotencyKey ?? ''),
        (w) => w.string(2, item.recipientId ?? ''),
        (w) => w.string(3, item.text ?? ''),
        (w) => w.string(4, item.broadcastId ?? ''),
        (w) => w.tag(5, 0).varint(Number(item.sequence ?? 0), r.chance(0.2) ? 10 : pad()),
      ],
      [(w) => w.string(1, 'decoy'), (w) => w.string(2, 'decoy'), (w) => w.string(3, 'decoy 😀'), (w) => w.string(4, 'decoy'), (w) => w.tag(5, 0).varint(12345)],
      6,
    );
  }

  function resultBytes(r: Prng, result: DeliveryResult): number[] {
    const outcome = typeof result.outcome === 'string' ? OUTCOME_NAMES.indexOf(result.outcome) : result.outcome ?? 0;
    return writeWithUnknownFields(
      r,
      [(w) => w.string(1, result.idempotencyKey ?? ''), (w) => w.tag(2, 0).varint(outcome, r.chance(0.2) ? 5 : 0), (w) => w.string(3, result.reason ?? '')],
      [(w) => w.string(1, 'decoy'), (w) => w.tag(2, 0).varint(3), (w) => w.string(3, 'decoy')],
      4,
    );
  }

  it('are skipped at every level, as protobufjs skips them', () => {
    const r = new Prng(6);
    for (let run = 0; run < 150; run++) {
      const request = randomRequest(r);
      const w = new Wire();
      for (const item of request.items!) {
        if (r.chance(0.2)) unknownField(r, w, 2);
        w.lengthDelimited(1, itemBytes(r, item));
      }
      if (r.chance(0.5)) unknownField(r, w, 2);
      const bytes = w.buffer();
      const ours = decodeDeliverRequest(bytes);
      expect(ours).toStrictEqual(expectedRequest(request));
      expect(ours).toStrictEqual(protobufjs.requestDeserialize(bytes));

      const response = randomResponse(r, (p) => (p.chance(0.1) ? (p.pick(UNKNOWN_OUTCOMES) as DeliveryOutcome) : randomOutcome(p)));
      const v = new Wire();
      for (const result of response.results!) {
        if (r.chance(0.2)) unknownField(r, v, 2);
        v.lengthDelimited(1, resultBytes(r, result));
      }
      if (r.chance(0.5)) unknownField(r, v, 2);
      const responseBytes = v.buffer();
      expect(decodeDeliverResponse(responseBytes)).toStrictEqual(expectedResponse(response));
      expect(decodeDeliverResponse(responseBytes)).toStrictEqual(protobufjs.responseDeserialize(responseBytes));
    }
  });

  it('a known field number with another wire type is skipped like an unknown field', () => {
    // (protobufjs would read these by field number alone; the C++ runtime skips them.)
    const item = new Wire().tag(1, 0).varint(7).string(2, 'r').tag(3, 5).raw([1, 2, 3, 4]).tag(5, 2).varint(1).raw([9]).tag(4, 1).raw([0, 0, 0, 0, 0, 0, 0, 0]).bytes;
    const request = new Wire().tag(1, 0).varint(3).lengthDelimited(1, item).buffer();
    expect(decodeDeliverRequest(request)).toStrictEqual({ items: [{ idempotencyKey: '', recipientId: 'r', text: '', broadcastId: '', sequence: 0 }] });
    const result = new Wire().tag(2, 2).varint(1).raw([1]).tag(3, 0).varint(5).string(1, 'k').bytes;
    expect(decodeDeliverResponse(new Wire().lengthDelimited(1, result).buffer())).toStrictEqual({ results: [{ idempotencyKey: 'k', outcome: 'DELIVERY_OUTCOME_UNSPECIFIED', reason: '' }] });
  });
});

describe('gateway codec: malformed input throws', () => {
  /** Where the top-level fields end: cutting there leaves a valid, shorter message. */
  function boundaries(bytes: Buffer): Set<number> {
    const ends = new Set<number>([0]);
    let pos = 0;
    while (pos < bytes.length) {
      pos++; // tag 0x0a
      let length = 0;
      let shift = 0;
      let b: number;
      do {
        b = bytes[pos++]!;
        length += (b & 0x7f) * 2 ** shift;
        shift += 7;
      } while (b & 0x80);
      pos += length;
      ends.add(pos);
    }
    return ends;
  }

  it('a request cut anywhere inside an item throws, and nothing is read past the cut', () => {
    const request: DeliverRequest = { items: [
      { idempotencyKey: 'bc/1', recipientId: 'ünïcødé 😀', text: 'x'.repeat(200), broadcastId: 'bc', sequence: MAX_SAFE },
      { idempotencyKey: 'bc/2', text: 'short', sequence: 300 },
      { recipientId: 'only-recipient' },
    ] };
    const bytes = encodeDeliverRequest(request);
    const ends = boundaries(bytes);
    const full = expectedRequest(request).items;
    for (let cut = 0; cut < bytes.length; cut++) {
      // A view into the whole message: the bytes past the cut are there, but must not be read.
      const view = bytes.subarray(0, cut);
      if (ends.has(cut)) {
        expect(decodeDeliverRequest(view).items).toStrictEqual(full.slice(0, [...ends].filter((e) => e > 0 && e <= cut).length));
      } else {
        expect(() => decodeDeliverRequest(view), `cut at ${cut}`).toThrow(/^malformed relaycast\.gateway\.v1\.DeliverRequest: (truncated varint|length \d+ past the end of the message) at byte \d+ of \d+$/);
      }
    }
  });

  it('a response cut anywhere inside a result throws', () => {
    const response: DeliverResponse = { results: [
      { idempotencyKey: 'bc/1', outcome: 'DELIVERY_OUTCOME_PERMANENT_FAILURE', reason: 'unknown recipient ✗' },
      { idempotencyKey: 'bc/2', outcome: -5 as DeliveryOutcome },
      { idempotencyKey: 'bc/3', outcome: 'DELIVERY_OUTCOME_DELIVERED' },
    ] };
    const bytes = encodeDeliverResponse(response);
    const ends = boundaries(bytes);
    for (let cut = 0; cut < bytes.length; cut++) {
      const view = bytes.subarray(0, cut);
      if (ends.has(cut)) expect(() => decodeDeliverResponse(view)).not.toThrow();
      else expect(() => decodeDeliverResponse(view), `cut at ${cut}`).toThrow(/^malformed relaycast\.gateway\.v1\.DeliverResponse: /);
    }
  });

  const item = (...bytes: number[]) => Buffer.from([0x0a, bytes.length, ...bytes]);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['a tag and nothing else', Buffer.from([0x0a]), /truncated varint at byte 1 of 1/],
    ['an item longer than the message', Buffer.from([0x0a, 0x05, 0x0a]), /length 5 past the end of the message at byte 1 of 3/],
    ['an item length of 2^32 and more', Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00]), /length 4294967296 past the end/],
    ['a string longer than its item (but not than the message)', Buffer.from([0x0a, 0x02, 0x0a, 0x05, 0x61, 0x62, 0x63, 0x64, 0x65]), /length 5 past the end of the message at byte 3/],
    ['a truncated sequence', item(0x28, 0x80), /truncated varint at byte 3/],
    ['a sequence varint of 11 bytes', item(0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), /varint longer than 10 bytes at byte 3/],
    ['a tag varint of 11 bytes', Buffer.from([0x8a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), /varint longer than 10 bytes at byte 0/],
    ['a field number beyond 32 bits', Buffer.from([0x88, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00]), /field number too large at byte 0/],
    ['field number 0', Buffer.from([0x00, 0x00]), /field number 0 at byte 0/],
    ['field number 0 in an item', item(0x02, 0x00), /field number 0 at byte 2/],
    ['a group (wire type 3)', Buffer.from([0x33, 0x34]), /group \(wire type 3\), not supported at byte 0/],
    ['an end group (wire type 4)', item(0x0c), /group \(wire type 4\), not supported at byte 2/],
    ['wire type 6', Buffer.from([0x0e, 0x00]), /invalid wire type 6 at byte 0/],
    ['wire type 7 in an item', item(0x2f, 0x00), /invalid wire type 7 at byte 2/],
    ['a truncated fixed64', Buffer.from([0x11, 1, 2, 3, 4, 5, 6, 7]), /truncated fixed64 at byte 1/],
    ['a fixed64 past its item', Buffer.from([0x0a, 0x03, 0x31, 1, 2, 3, 4, 5, 6, 7, 8]), /truncated fixed64 at byte 3/],
    ['a truncated fixed32', item(0x35, 1, 2, 3), /truncated fixed32 at byte 3/],
    ['an unknown length-delimited field past the end', Buffer.from([0x12, 0x03, 0x00]), /length 3 past the end of the message at byte 1/],
    ['a truncated unknown varint', Buffer.from([0x10, 0xff]), /truncated varint at byte 1/],
  ];

  it.each(cases)('%s', (_what, bytes, message) => {
    expect(() => decodeDeliverRequest(bytes)).toThrow(message);
    expect(() => decodeDeliverRequest(bytes)).toThrow(/^malformed relaycast\.gateway\.v1\.DeliverRequest: /);
    // The same bytes as a response: the same structure, so the same failure.
    expect(() => decodeDeliverResponse(bytes)).toThrow(message);
    expect(() => decodeDeliverResponse(bytes)).toThrow(/^malformed relaycast\.gateway\.v1\.DeliverResponse: /);
  });

  it('random bytes either decode or throw a "malformed" Error, never anything else', () => {
    const r = new Prng(7);
    for (let run = 0; run < 3000; run++) {
      const bytes = Buffer.from(Array.from({ length: r.int(40) }, () => (r.chance(0.3) ? r.pick([0x0a, 0x10, 0x28, 0x80, 0xff, 0x00]) : r.int(256))));
      for (const decode of [decodeDeliverRequest, decodeDeliverResponse]) {
        let decoded: DeliverRequest__Output | DeliverResponse__Output;
        try {
          decoded = decode(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
          expect((err as Error).message).toMatch(/^malformed relaycast\.gateway\.v1\.Deliver(Request|Response): .* at byte \d+ of \d+$/);
          continue;
        }
        expect(Array.isArray('items' in decoded ? decoded.items : decoded.results)).toBe(true);
      }
    }
  });
});
