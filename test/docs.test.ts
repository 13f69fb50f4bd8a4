/** The README stays true: its configuration reference matches the schemas. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReadme } from '../scripts/config-docs';

describe('README', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

  it('has a configuration reference generated from the current schemas (npm run docs:config)', () => {
    expect(renderReadme(readme)).toBe(readme);
  });

  it('shows the two commands a fresh clone must run', () => {
    expect(readme).toContain('npm install && npm run demo');
    expect(readme).toContain('npm install && npm test');
  });
});
