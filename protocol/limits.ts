/**
 * Size limits on what crosses the wire, in one place, with the relations
 * between them checked when the module loads: every message we build must
 * fit gRPC's message limit, and the largest single item must fit the
 * budget of the message that carries it — or a call would fail every time
 * and the work in it would be retried forever.
 */
import { assert } from './errors';

/** gRPC messages, both ways, on every port and client. */
export const GRPC_MESSAGE_BYTES_MAX = 16 * 1024 * 1024;
/** A webhook request body the gateway simulator accepts (and a gateway should). */
export const WEBHOOK_BODY_BYTES_MAX = 16 * 1024 * 1024;

/**
 * List answers (ListNodes, ListBroadcasts, ListDeadLetters) end their page
 * early rather than grow past this, so that a client with gRPC's default
 * 4 MiB receive limit (grpcurl, grpc-js) can always read them.
 */
export const LIST_RESPONSE_BYTES_MAX = 3 * 1024 * 1024;
/** A ReadAudience page ends early past this much JSON. */
export const AUDIENCE_PAGE_BYTES_MAX = 8 * 1024 * 1024;
/** Unsolicited deliveries to a relay's leaves (orders, revokes) go in acks of at most this. */
export const LINK_ACK_BYTES_MAX = 4 * 1024 * 1024;
/** Items per Deliver call are bounded in bytes too (gRPC, or a webhook body). */
export const DELIVER_CALL_BYTES_MAX = 4 * 1024 * 1024;
/** A relay's batch to the coordinator, by default. */
export const RELAY_BATCH_BYTES_MAX_DEFAULT = 8 * 1024 * 1024;

/** A broadcast's template. */
export const TEMPLATE_BYTES_MAX = 64 * 1024;
/** One rendered message (UTF-16 units). */
export const RENDERED_TEXT_LENGTH_MAX = 256 * 1024;
/** A recipient id, in an audience and so in a dead letter. */
export const RECIPIENT_ID_LENGTH_MAX = 256;
/** Variables per recipient, and the length of one value. */
export const VARS_PER_RECIPIENT_MAX = 64;
export const VAR_VALUE_LENGTH_MAX = 4096;
/** A variable's key (letters, digits, '_', '.', '-'). */
export const VAR_KEY_LENGTH_MAX = 64;
/** A dead letter's reason is cut to this. */
export const DEAD_LETTER_REASON_LENGTH_MAX = 1024;
/** An idempotency key: `<broadcast>/<sequence>`. */
export const IDEMPOTENCY_KEY_LENGTH_MAX = 64 + 1 + 16;

/** UTF-8 bytes per UTF-16 unit, at most. */
const UTF8_BYTES_PER_UNIT_MAX = 3;
/** Framing and fixed fields of one message part, generously. */
const OVERHEAD_BYTES = 1024;

/** The largest stored audience record, in bytes of JSON. */
export const AUDIENCE_RECORD_BYTES_MAX = (RECIPIENT_ID_LENGTH_MAX + VARS_PER_RECIPIENT_MAX * (VAR_KEY_LENGTH_MAX + VAR_VALUE_LENGTH_MAX + 8)) * UTF8_BYTES_PER_UNIT_MAX + OVERHEAD_BYTES;

for (const [name, budget] of [
  ['LIST_RESPONSE_BYTES_MAX', LIST_RESPONSE_BYTES_MAX],
  ['AUDIENCE_PAGE_BYTES_MAX', AUDIENCE_PAGE_BYTES_MAX],
  ['LINK_ACK_BYTES_MAX', LINK_ACK_BYTES_MAX],
  ['DELIVER_CALL_BYTES_MAX', DELIVER_CALL_BYTES_MAX],
  ['RELAY_BATCH_BYTES_MAX_DEFAULT', RELAY_BATCH_BYTES_MAX_DEFAULT],
] as const) {
  assert(budget + OVERHEAD_BYTES <= GRPC_MESSAGE_BYTES_MAX, `${name} leaves room in a gRPC message`);
}
assert(DELIVER_CALL_BYTES_MAX <= WEBHOOK_BODY_BYTES_MAX, 'a Deliver call fits a webhook body');
assert((RENDERED_TEXT_LENGTH_MAX + RECIPIENT_ID_LENGTH_MAX + IDEMPOTENCY_KEY_LENGTH_MAX) * UTF8_BYTES_PER_UNIT_MAX + OVERHEAD_BYTES <= DELIVER_CALL_BYTES_MAX, 'one rendered item fits a Deliver call');
assert(TEMPLATE_BYTES_MAX * UTF8_BYTES_PER_UNIT_MAX + OVERHEAD_BYTES <= LINK_ACK_BYTES_MAX, 'one order (its template) fits a link ack');
assert(AUDIENCE_RECORD_BYTES_MAX <= AUDIENCE_PAGE_BYTES_MAX, 'one audience record fits a page');
assert(TEMPLATE_BYTES_MAX <= RENDERED_TEXT_LENGTH_MAX, 'a template with no variables renders within the text limit');
