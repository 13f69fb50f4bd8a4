/**
 * The runtime half of the single executable (scripts/build-bin.ts builds it;
 * docs/binary.md explains it). Bundled into the binary only: the normal
 * `node bin/relaycast.js` path never loads this file.
 *
 * Some code finds files next to itself through `__dirname`: protocol/proto.ts
 * (proto/), platform/version.ts (package.json), grpc-health-check and
 * @grpc/reflection (their own .proto files). In the bundle, build-bin
 * rewrites `__dirname` and `__filename` in each such module to
 * seaPath(<that module's path relative to the repo root>), and embeds the
 * files they look for as SEA assets under the same relative paths. On first
 * use, the assets are written to a private per-user cache directory that
 * mirrors the repo layout, so those lookups work unchanged. The LevelDB
 * addon is written there too and loaded with process.dlopen (the binary's
 * own `require` only resolves built-in modules).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as sea from 'node:sea';

/** The asset listing the others; written by build-bin. */
export const MANIFEST_KEY = 'relaycast-sea-manifest.json';

/**
 * A placeholder written to <root>/bin/relaycast.js so that code looking for
 * the CLI script (testing/local-cluster.ts, used by `relaycast demo`) finds
 * one; sea-main drops it when it comes back as the first argument.
 */
export const BIN_STUB = 'bin/relaycast.js';

/** Overrides where the assets are written (must be private to the user). */
export const CACHE_DIR_ENV = 'RELAYCAST_BIN_CACHE_DIR';

export interface SeaManifest {
  /** sha256 over every asset's key and bytes: names the cache directory. */
  hash: string;
  /** Asset keys, which are also paths relative to the root. */
  files: string[];
}

/** The repo root of the build, for running the bundle outside a SEA (debugging). */
declare const __RELAYCAST_SOURCE_ROOT__: string | undefined;

let root: string | undefined;

/** `rel` (a path relative to the repo root, `/`-separated) inside the extracted tree. */
export function seaPath(rel: string): string {
  root ??= sea.isSea() ? extract() : sourceRoot();
  return rel === '' || rel === '.' ? root : path.join(root, ...rel.split('/'));
}

/** Loads a native addon from the extracted tree. */
export function loadNative(rel: string): unknown {
  const mod = { exports: {} as unknown };
  process.dlopen(mod, seaPath(rel));
  return mod.exports;
}

function sourceRoot(): string {
  if (typeof __RELAYCAST_SOURCE_ROOT__ === 'string') return __RELAYCAST_SOURCE_ROOT__;
  // Unbundled (dist/scripts/sea-runtime.js): the repo root. build-bin never
  // rewrites this file's __dirname.
  return path.join(__dirname, '..', '..');
}

function extract(): string {
  const manifest = JSON.parse(sea.getAsset(MANIFEST_KEY, 'utf8')) as SeaManifest;
  const errors: string[] = [];
  for (const base of cacheBases()) {
    const dir = path.join(base, `sea-${manifest.hash.slice(0, 16)}`);
    try {
      ensurePrivateDir(base);
      ensurePrivateDir(dir);
      writeAssets(dir, manifest);
      return dir;
    } catch (err) {
      errors.push(`${dir}: ${(err as Error).message}`);
    }
  }
  // Last resort: a fresh private directory (left behind; one per run).
  try {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relaycast-sea-'));
    writeAssets(dir, manifest);
    return dir;
  } catch (err) {
    errors.push(`${os.tmpdir()}: ${(err as Error).message}`);
  }
  throw new Error(`relaycast: cannot write the embedded files anywhere (set ${CACHE_DIR_ENV}):\n  ${errors.join('\n  ')}`);
}

function cacheBases(): string[] {
  const bases: string[] = [];
  const override = process.env[CACHE_DIR_ENV];
  if (override !== undefined && override !== '') bases.push(path.resolve(override));
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg !== undefined && path.isAbsolute(xdg)) bases.push(path.join(xdg, 'relaycast'));
  const home = os.homedir();
  if (home !== '' && path.isAbsolute(home)) bases.push(path.join(home, '.cache', 'relaycast'));
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  bases.push(path.join(os.tmpdir(), `relaycast-${uid}`));
  return bases;
}

/**
 * Creates `dir` (mode 0700) if needed, and refuses one that another user
 * could write to: the native addon is loaded from it.
 */
function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) throw new Error('not a directory');
  if (typeof process.getuid === 'function') {
    if (st.uid !== process.getuid()) throw new Error('owned by another user');
    if ((st.mode & 0o022) !== 0) throw new Error('writable by group or others');
  }
}

/**
 * Writes each asset unless an identical file is already there (checked on
 * every start: a few MB to compare). Replacement is by rename, so a process
 * that has the old addon loaded is not disturbed and concurrent starts are
 * safe.
 */
function writeAssets(dir: string, manifest: SeaManifest): void {
  for (const key of manifest.files) {
    const data = Buffer.from(sea.getAsset(key));
    const target = path.join(dir, ...key.split('/'));
    let existing: Buffer | undefined;
    try {
      existing = fs.readFileSync(target);
    } catch {
      existing = undefined;
    }
    if (existing !== undefined && existing.equals(data)) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    const tmp = `${target}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, data, { mode: 0o600 });
    fs.renameSync(tmp, target);
  }
}
