/** The package version, read once from package.json (source and dist trees). */
import * as fs from 'node:fs';
import * as path from 'node:path';

function readVersion(): string {
  for (const candidate of [path.join(__dirname, '..', 'package.json'), path.join(__dirname, '..', '..', 'package.json')]) {
    if (fs.existsSync(candidate)) return (JSON.parse(fs.readFileSync(candidate, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

export const VERSION = readVersion();
