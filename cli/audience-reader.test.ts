import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Recipient } from '../protocol/generated/relaycast/v1/Recipient';
import { AudienceFileError, openAudience, type AudienceOptions } from './audience-reader';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relaycast-audience-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function file(name: string, text: string): string {
  const full = path.join(dir, `${fileCount++}-${name}`);
  fs.writeFileSync(full, text);
  return full;
}

async function readAll(f: string, chunkSize = 1000, options: AudienceOptions = {}): Promise<Recipient[][]> {
  const source = await openAudience(f, options);
  const chunks: Recipient[][] = [];
  for await (const chunk of source.chunks(chunkSize)) chunks.push(chunk);
  return chunks;
}

async function failure(f: string, options: AudienceOptions = {}): Promise<AudienceFileError> {
  try {
    await readAll(f, 1000, options);
  } catch (err) {
    expect(err).toBeInstanceOf(AudienceFileError);
    return err as AudienceFileError;
  }
  throw new Error('expected the file to be refused');
}

describe('CSV', () => {
  it('streams recipients in chunks of the given size, with stats', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => `u${i},Name-${i}`).join('\n');
    const f = file('a.csv', `recipient_id,name\n${rows}\n`);
    const source = await openAudience(f);
    const sizes: number[] = [];
    let first: Recipient | undefined;
    for await (const chunk of source.chunks(1000)) {
      sizes.push(chunk.length);
      first ??= chunk[0];
    }
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(first).toEqual({ id: 'u0', vars: [{ key: 'name', value: 'Name-0' }] });
    expect(source.stats.recipients).toBe(2500);
    expect(source.stats.line).toBe(2501);
    expect(source.stats.bytesRead).toBe(source.stats.bytesTotal);
  });

  it('handles a byte-order mark, CRLF, blank lines and quoted fields with commas and newlines', async () => {
    const f = file('b.csv', '\ufeffid,greeting\r\nu1,"Hi, there"\r\n\r\nu2,"two\nlines"\r\n');
    const [chunk] = await readAll(f);
    expect(chunk).toEqual([
      { id: 'u1', vars: [{ key: 'greeting', value: 'Hi, there' }] },
      { id: 'u2', vars: [{ key: 'greeting', value: 'two\nlines' }] },
    ]);
  });

  it('names the line of a bad row', async () => {
    const e = await failure(file('c.csv', 'id,name\nu1,Ada\nu2\nu3,Carl\n'));
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/c\.csv:3: 1 fields, but the header has 2$/);
  });

  it('names the line of broken quoting', async () => {
    const e = await failure(file('d.csv', 'id,name\nu1,Ada\nu2,x"y"\n'));
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/:3: bad CSV: Invalid Opening Quote/);
    const unclosed = await failure(file('e.csv', 'id,name\nu1,"Ada\nu2,Bob\n'));
    expect(unclosed.message).toMatch(/bad CSV: Quote Not Closed/);
  });

  it('refuses a header without an id column at line 1', async () => {
    const e = await failure(file('f.csv', 'name,code\nAda,1\n'));
    expect(e.line).toBe(1);
    expect(e.message).toMatch(/f\.csv:1: the header has no recipient id column/);
  });

  it('refuses a template variable without fallback that no column provides', async () => {
    const e = await failure(file('g.csv', 'id,name\nu1,Ada\n'), { requiredVariables: ['name', 'code'] });
    expect(e.message).toMatch(/:1: the template uses \{\{code\}\} without a fallback, but there is no such column/);
  });

  it('counts recipients that lack a required variable (empty cells)', async () => {
    const source = await openAudience(file('h.csv', 'id,code\nu1,1\nu2,\nu3,\n'), { requiredVariables: ['code'] });
    for await (const _ of source.chunks(10)) void _;
    expect(source.stats.missing.get('code')).toBe(2);
  });

  it('refuses an empty file and a header without rows', async () => {
    expect((await failure(file('i.csv', ''))).message).toMatch(/is empty: expected a header row/);
    expect((await failure(file('j.csv', 'id,name\n'))).message).toMatch(/has no recipients/);
  });
});

describe('JSONL', () => {
  it('reads one recipient per line and skips blank lines', async () => {
    const f = file('a.jsonl', '{"id":"u1","vars":{"name":"Ada"}}\n\n   \n{"id":"u2"}\n');
    const [chunk] = await readAll(f);
    expect(chunk).toEqual([{ id: 'u1', vars: [{ key: 'name', value: 'Ada' }] }, { id: 'u2', vars: [] }]);
  });

  it('names the line of a bad line, counting blank lines', async () => {
    const e = await failure(file('b.jsonl', '{"id":"u1"}\n\n{"id":"u2",}\n'));
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/b\.jsonl:3: not valid JSON/);
  });

  it('reads a file with a byte-order mark', async () => {
    const [chunk] = await readAll(file('c.ndjson', '\ufeff{"id":"u1"}\n'));
    expect(chunk).toEqual([{ id: 'u1', vars: [] }]);
  });

  it('refuses a file of blank lines', async () => {
    expect((await failure(file('d.jsonl', '\n\n'))).message).toMatch(/has no recipients/);
  });
});

describe('the file itself', () => {
  it('refuses a missing file, a directory and an unknown extension before reading', async () => {
    await expect(openAudience(path.join(dir, 'missing.csv'))).rejects.toThrow(/missing\.csv: no such file/);
    fs.mkdirSync(path.join(dir, 'folder.csv'));
    await expect(openAudience(path.join(dir, 'folder.csv'))).rejects.toThrow(/folder\.csv: not a regular file/);
    await expect(openAudience(file('x.txt', 'id\nu1\n'))).rejects.toThrow(/unknown audience file type; use one of \.csv, \.jsonl, \.ndjson/);
  });

  it('stops at an aborted signal', async () => {
    const source = await openAudience(file('k.csv', `id\n${Array.from({ length: 50 }, (_, i) => `u${i}`).join('\n')}\n`));
    const controller = new AbortController();
    const chunks: number[] = [];
    await expect((async () => {
      for await (const chunk of source.chunks(10, controller.signal)) {
        chunks.push(chunk.length);
        controller.abort();
      }
    })()).rejects.toThrow();
    expect(chunks).toEqual([10]);
  });
});
