/**
 * The audience page format between the coordinator and its nodes:
 * ReadAudienceResponse.records_json is a JSON array of AudienceRecord, one
 * per sequence from first_sequence on. The coordinator stores each record
 * as one JSON value (so a page is the stored values joined, with no
 * re-encoding); a node parses a page once and checks it here.
 */

/** One recipient: its id and its template variables as [key, value] pairs. */
export interface AudienceRecord {
  id: string;
  vars: Array<[string, string]>;
}

/** A page's records_json from stored record values. */
export function joinAudienceRecords(values: readonly string[]): string {
  return `[${values.join(',')}]`;
}

/** The records of a page from the network, checked; a string says what is wrong with it. */
export function parseAudienceRecords(recordsJson: string, count: number): AudienceRecord[] | string {
  let records: unknown;
  try {
    records = JSON.parse(recordsJson);
  } catch (err) {
    return `records are not JSON (${(err as Error).message})`;
  }
  if (!Array.isArray(records)) return 'records are not an array';
  if (records.length !== count) return `${records.length} records, expected ${count}`;
  for (const [i, r] of records.entries()) {
    const record = r as { id?: unknown; vars?: unknown } | null;
    if (typeof record !== 'object' || record === null || typeof record.id !== 'string') return `record ${i} has no id`;
    if (record.vars !== undefined && !Array.isArray(record.vars)) return `record ${i} has vars that are not a list`;
    if (record.vars === undefined) (record as { vars: unknown }).vars = [];
  }
  return records as AudienceRecord[];
}
