/**
 * Input limits for identities and labels. Bad input is reported naming the
 * field, and the caller changes nothing.
 */
import { fail, ok, type Result } from './errors';

export const ID_LENGTH_MAX = 63;
export const INSTANCE_ID_LENGTH_MAX = 128;
export const ADDRESS_LENGTH_MAX = 255;
export const LABELS_MAX = 32;
export const LABEL_VALUE_LENGTH_MAX = 256;
export const CAPACITY_WEIGHT_MAX = 1000;
/** A dead letter's reason comes from the gateway; longer ones are cut, so pages and reports stay bounded. */
export { DEAD_LETTER_REASON_LENGTH_MAX, LIST_RESPONSE_BYTES_MAX, RECIPIENT_ID_LENGTH_MAX } from './limits';

/** `text` cut to at most `max` characters, marked when cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function checkId(field: string, value: string): Result<string> {
  if (value.length === 0) return fail('INVALID_ARGUMENT', `${field} is required`);
  if (value.length > ID_LENGTH_MAX) {
    return fail('INVALID_ARGUMENT', `${field} is ${value.length} characters; at most ${ID_LENGTH_MAX} allowed`);
  }
  if (!ID_PATTERN.test(value)) {
    return fail('INVALID_ARGUMENT', `${field} ${JSON.stringify(value)} has illegal characters; use letters, digits, '.', '_' and '-', starting with a letter or digit`);
  }
  return ok(value);
}

export function checkInstanceId(field: string, value: string): Result<string> {
  if (value.length === 0) return fail('INVALID_ARGUMENT', `${field} is required`);
  if (value.length > INSTANCE_ID_LENGTH_MAX || !/^[\x21-\x7e]+$/.test(value)) {
    return fail('INVALID_ARGUMENT', `${field} must be 1-${INSTANCE_ID_LENGTH_MAX} printable ASCII characters without spaces`);
  }
  return ok(value);
}

export interface LabelPair {
  key: string;
  value: string;
}

export function checkLabels(field: string, labels: readonly LabelPair[]): Result<LabelPair[]> {
  if (labels.length > LABELS_MAX) return fail('INVALID_ARGUMENT', `${field}: ${labels.length} labels; at most ${LABELS_MAX} allowed`);
  const seen = new Set<string>();
  for (const [i, label] of labels.entries()) {
    const key = checkId(`${field}[${i}].key`, label.key);
    if (!key.ok) return key;
    if (seen.has(label.key)) return fail('INVALID_ARGUMENT', `${field}[${i}].key ${JSON.stringify(label.key)} is repeated`);
    seen.add(label.key);
    if (label.value.length > LABEL_VALUE_LENGTH_MAX) {
      return fail('INVALID_ARGUMENT', `${field}[${i}].value is ${label.value.length} characters; at most ${LABEL_VALUE_LENGTH_MAX} allowed`);
    }
  }
  return ok(labels.map((l) => ({ key: l.key, value: l.value })));
}

export function checkAddress(field: string, value: string): Result<string> {
  if (value.length > ADDRESS_LENGTH_MAX) return fail('INVALID_ARGUMENT', `${field} is longer than ${ADDRESS_LENGTH_MAX} characters`);
  return ok(value);
}

export function memberKey(clusterId: string, memberId: string): string {
  return `${clusterId}/${memberId}`;
}
