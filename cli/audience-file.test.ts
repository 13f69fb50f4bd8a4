import { describe, expect, it } from 'vitest';
import { LIMITS } from '../coordinator/broadcast-service';
import {
  RECIPIENT_LIMITS,
  audienceFormatOf,
  checkRecipient,
  columnsMissingFor,
  csvRecordToRecipient,
  jsonLineToRecipient,
  missingVariables,
  planCsvColumns,
  type CsvColumns,
  type Parsed,
} from './audience-file';

function value<T>(p: Parsed<T>): T {
  if (!p.ok) throw new Error(`expected ok, got: ${p.error}`);
  return p.value;
}

function error<T>(p: Parsed<T>): string {
  if (p.ok) throw new Error(`expected an error, got ${JSON.stringify(p.value)}`);
  return p.error;
}

describe('limits', () => {
  it('match the coordinator, so a row the CLI accepts is never refused by the upload', () => {
    expect(RECIPIENT_LIMITS.recipientIdLengthMax).toBe(LIMITS.recipientIdLengthMax);
    expect(RECIPIENT_LIMITS.varsPerRecipientMax).toBe(LIMITS.varsPerRecipientMax);
    expect(RECIPIENT_LIMITS.varValueLengthMax).toBe(LIMITS.varValueLengthMax);
  });
});

describe('audienceFormatOf', () => {
  it('goes by extension, case-insensitively', () => {
    expect(audienceFormatOf('a.csv')).toBe('csv');
    expect(audienceFormatOf('/x/A.CSV')).toBe('csv');
    expect(audienceFormatOf('a.jsonl')).toBe('jsonl');
    expect(audienceFormatOf('a.ndjson')).toBe('jsonl');
    expect(audienceFormatOf('a.json')).toBeUndefined();
    expect(audienceFormatOf('a.csv.gz')).toBeUndefined();
    expect(audienceFormatOf('csv')).toBeUndefined();
  });
});

describe('planCsvColumns', () => {
  it('takes recipient_id or id as the id column and every other column as a variable', () => {
    const plan = value(planCsvColumns(['name', 'recipient_id', 'code']));
    expect(plan).toEqual({ idColumn: 'recipient_id', idIndex: 1, vars: [{ index: 0, key: 'name' }, { index: 2, key: 'code' }], width: 3 });
    expect(value(planCsvColumns(['id', 'name'])).idColumn).toBe('id');
  });

  it('trims header names', () => {
    expect(value(planCsvColumns([' id ', ' name'])).vars).toEqual([{ index: 1, key: 'name' }]);
  });

  it('uses --id-column when given, and then recipient_id is an ordinary variable', () => {
    const plan = value(planCsvColumns(['user', 'recipient_id'], 'user'));
    expect(plan.idIndex).toBe(0);
    expect(plan.vars).toEqual([{ index: 1, key: 'recipient_id' }]);
    expect(error(planCsvColumns(['user'], 'uid'))).toMatch(/no column "uid" \(--id-column\)/);
  });

  it('refuses a header without an id column, naming the columns it has', () => {
    expect(error(planCsvColumns(['name', 'code']))).toMatch(/no recipient id column.*"recipient_id" or "id".*columns: name, code/);
  });

  it('refuses an ambiguous id column', () => {
    expect(error(planCsvColumns(['id', 'recipient_id']))).toMatch(/both "recipient_id" and "id".*--id-column/);
  });

  it('refuses duplicate, empty and unusable column names', () => {
    expect(error(planCsvColumns(['id', 'name', 'name']))).toMatch(/"name" appears twice/);
    expect(error(planCsvColumns(['id', '']))).toMatch(/column 2 of the header has no name/);
    expect(error(planCsvColumns(['id', 'first name']))).toMatch(/"first name" is not a usable variable name/);
  });

  it('refuses more variable columns than a recipient may have', () => {
    const header = ['id', ...Array.from({ length: RECIPIENT_LIMITS.varsPerRecipientMax + 1 }, (_, i) => `v${i}`)];
    expect(error(planCsvColumns(header))).toMatch(/65 variable columns; at most 64/);
    expect(planCsvColumns(header.slice(0, -1)).ok).toBe(true);
  });
});

describe('csvRecordToRecipient', () => {
  const columns: CsvColumns = value(planCsvColumns(['recipient_id', 'name', 'code']));

  it('maps a record to a recipient with its variables', () => {
    expect(value(csvRecordToRecipient(columns, ['u1', 'Ada', '4711']))).toEqual({ id: 'u1', vars: [{ key: 'name', value: 'Ada' }, { key: 'code', value: '4711' }] });
  });

  it('leaves empty cells unset, so template fallbacks apply', () => {
    expect(value(csvRecordToRecipient(columns, ['u1', '', '4711']))).toEqual({ id: 'u1', vars: [{ key: 'code', value: '4711' }] });
  });

  it('keeps values as they are (no trimming)', () => {
    expect(value(csvRecordToRecipient(columns, ['u1', ' Ada ', '']))?.vars).toEqual([{ key: 'name', value: ' Ada ' }]);
  });

  it('refuses a record whose field count differs from the header', () => {
    expect(error(csvRecordToRecipient(columns, ['u1', 'Ada']))).toBe('2 fields, but the header has 3');
    expect(error(csvRecordToRecipient(columns, ['u1', 'Ada', '1', 'x']))).toBe('4 fields, but the header has 3');
  });

  it('refuses an empty or too long id and a too long value', () => {
    expect(error(csvRecordToRecipient(columns, ['', 'Ada', '1']))).toMatch(/recipient id \(column "recipient_id"\) is empty/);
    expect(error(csvRecordToRecipient(columns, ['u'.repeat(257), 'Ada', '1']))).toMatch(/257 characters; at most 256/);
    expect(error(csvRecordToRecipient(columns, ['u1', 'x'.repeat(4097), '1']))).toMatch(/variable "name" is 4097 characters; at most 4096/);
  });
});

describe('jsonLineToRecipient', () => {
  it('reads an id and an object of variables', () => {
    expect(value(jsonLineToRecipient('{"id":"u1","vars":{"name":"Ada","code":"4711"}}'))).toEqual({ id: 'u1', vars: [{ key: 'name', value: 'Ada' }, { key: 'code', value: '4711' }] });
  });

  it('reads the proto form of variables too', () => {
    expect(value(jsonLineToRecipient('{"id":"u1","vars":[{"key":"name","value":"Ada"}]}'))).toEqual({ id: 'u1', vars: [{ key: 'name', value: 'Ada' }] });
  });

  it('accepts recipient_id, numeric ids and no variables', () => {
    expect(value(jsonLineToRecipient('{"recipient_id":"u2"}'))).toEqual({ id: 'u2', vars: [] });
    expect(value(jsonLineToRecipient('{"id":42}'))).toEqual({ id: '42', vars: [] });
    expect(error(jsonLineToRecipient('{"id":1.5}'))).toMatch(/"id" must be a string \(or a whole number\), got number 1.5/);
    expect(error(jsonLineToRecipient('{"id":null}'))).toMatch(/"id" must be a string.*got null/);
  });

  it('uses --id-column for the id field', () => {
    expect(value(jsonLineToRecipient('{"user":"u3","vars":{}}', 'user'))).toEqual({ id: 'u3', vars: [] });
    expect(error(jsonLineToRecipient('{"id":"u3"}', 'user'))).toMatch(/no field "user" \(--id-column\)/);
  });

  it('converts numbers and booleans, leaves null unset, refuses nesting', () => {
    expect(value(jsonLineToRecipient('{"id":"u","vars":{"n":3,"b":true,"z":null}}')).vars).toEqual([{ key: 'n', value: '3' }, { key: 'b', value: 'true' }]);
    expect(error(jsonLineToRecipient('{"id":"u","vars":{"n":{"a":1}}}'))).toMatch(/variable "n" must be a string, number or boolean, got an object/);
    expect(error(jsonLineToRecipient('{"id":"u","vars":"x"}'))).toMatch(/"vars" must be an object/);
  });

  it('refuses what it cannot read, saying why', () => {
    expect(error(jsonLineToRecipient('{"id": "u1",'))).toMatch(/not valid JSON/);
    expect(error(jsonLineToRecipient('["u1"]'))).toMatch(/expected a JSON object/);
    expect(error(jsonLineToRecipient('{"name":"Ada"}'))).toMatch(/no recipient id/);
    expect(error(jsonLineToRecipient('{"id":"u1","name":"Ada"}'))).toMatch(/unknown field "name": put template variables under "vars"/);
    expect(error(jsonLineToRecipient('{"id":"u1","recipient_id":"u2"}'))).toMatch(/both/);
    expect(error(jsonLineToRecipient('{"id":"u1","vars":[{"key":"a","value":"1"},{"key":"a","value":"2"}]}'))).toMatch(/"a" is given twice/);
    expect(error(jsonLineToRecipient('{"id":"u1","vars":{"bad key":"1"}}'))).toMatch(/variable name "bad key" is not allowed/);
    expect(error(jsonLineToRecipient('{"id":""}'))).toMatch(/recipient id is empty/);
  });
});

describe('template variables', () => {
  it('columnsMissingFor names the required variables no column provides', () => {
    const columns = value(planCsvColumns(['id', 'name']));
    expect(columnsMissingFor(columns, ['name', 'code'])).toEqual(['code']);
    expect(columnsMissingFor(columns, [])).toEqual([]);
  });

  it('missingVariables lists what a recipient lacks', () => {
    expect(missingVariables({ id: 'u', vars: [{ key: 'name', value: '' }] }, ['name', 'code'])).toEqual(['code']);
    expect(missingVariables({ id: 'u' }, [])).toEqual([]);
  });

  it('checkRecipient accepts the limits exactly', () => {
    const vars = Array.from({ length: 64 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(4096) }));
    expect(checkRecipient({ id: 'u'.repeat(256), vars })).toBeUndefined();
  });
});
