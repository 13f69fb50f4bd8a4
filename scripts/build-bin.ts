/**
 * `npm run build:bin`: the self-contained `relaycast` executable, a Node
 * single executable application (SEA). See docs/binary.md.
 *
 *   1. esbuild bundles dist/scripts/sea-main.js (the CLI) and every
 *      dependency into one CommonJS file: a SEA's `require` only resolves
 *      built-in modules. A plugin rewrites `__dirname`/`__filename` in the
 *      modules that use them to paths in the extracted tree (see
 *      scripts/sea-runtime.ts) and replaces classic-level's node-gyp-build
 *      lookup with a process.dlopen of the embedded addon.
 *   2. The files those modules read (proto/, the .proto files of the gRPC
 *      packages that load their own, package.json's version, the LevelDB
 *      addon for this platform) become SEA assets.
 *   3. `node --experimental-sea-config` makes the blob; a copy of this
 *      Node's own binary (process.execPath) gets it injected with postject.
 *
 * Offline: nothing is downloaded. The result runs on the platform it was
 * built on. Injection is skipped when the output is already up to date
 * (same bundle, assets and Node binary), so calling this again is cheap.
 *
 * Usage: node dist/scripts/build-bin.js [--out DIR] [--force] [--strip]
 */
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { BIN_STUB, MANIFEST_KEY, type SeaManifest } from './sea-runtime';

/** The fuse every SEA-capable Node binary carries (Node's documentation). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Bound on each child step (blob, postject, smoke run) on a loaded machine. */
const STEP_TIMEOUT_MS = 180_000;

const ROOT = path.resolve(__dirname, '..', '..');
const ENTRY = path.join(ROOT, 'dist', 'scripts', 'sea-main.js');
const RUNTIME = path.join(ROOT, 'dist', 'scripts', 'sea-runtime.js');

export interface BuildBinOptions {
  /** Output directory; the binary is <out>/relaycast. Default dist-bin/. */
  out?: string;
  /** Inject even if the output looks up to date. */
  force?: boolean;
  /** Strip the copied Node binary's symbols first (needs `strip`; about 12 MB smaller). */
  strip?: boolean;
  log?: (line: string) => void;
}

export interface BuildBinResult {
  binary: string;
  bytes: number;
  /** False when the existing binary was up to date. */
  built: boolean;
  ms: number;
}

interface Asset {
  key: string;
  file: string;
}

/** `/`-separated path relative to the repo root; refuses files outside it. */
function rel(file: string): string {
  const r = path.relative(ROOT, file).split(path.sep).join('/');
  if (r.startsWith('../') || path.isAbsolute(r)) throw new Error(`build-bin: ${file} is outside ${ROOT}`);
  return r;
}

function listFiles(dir: string, ext: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : listFiles(full, ext);
    return entry.name.endsWith(ext) ? [full] : [];
  }).sort();
}

/** The package directory (under node_modules) holding `file`. */
function packageRoot(file: string): string | undefined {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const parent = path.dirname(dir);
    if (path.basename(parent) === 'node_modules') return dir;
    if (path.basename(parent).startsWith('@') && path.basename(path.dirname(parent)) === 'node_modules') return dir;
  }
  return undefined;
}

/** The prebuilt LevelDB addon node-gyp-build would pick on this machine. */
function nativeAddon(classicLevelDir: string): string {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const musl = process.platform === 'linux' && report?.header?.glibcVersionRuntime === undefined;
  const file = path.join(classicLevelDir, 'prebuilds', `${process.platform}-${process.arch}`, musl ? 'classic-level.musl.node' : 'classic-level.node');
  if (!fs.existsSync(file)) throw new Error(`build-bin: classic-level has no prebuilt addon for ${process.platform}-${process.arch}${musl ? ' (musl)' : ''}: ${file}`);
  return file;
}

/** Code put before a module that uses __dirname/__filename, after its shebang and "use strict". */
function pathPrologue(file: string): string {
  const r = JSON.stringify(RUNTIME);
  return `var __relaycast_sea__ = require(${r}); var __dirname = __relaycast_sea__.seaPath(${JSON.stringify(path.posix.dirname(rel(file)))}); ` +
    `var __filename = __relaycast_sea__.seaPath(${JSON.stringify(rel(file))});\n`;
}

function insertPrologue(text: string, prologue: string): string {
  const head = /^(#![^\n]*\n)?((?:\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*(['"])use strict\3;?)?/.exec(text);
  const at = head === null ? 0 : head[0].length;
  return `${text.slice(0, at)}${at > 0 ? '\n' : ''}${prologue}${text.slice(at)}`;
}

function seaPlugin(rewritten: Set<string>, addons: Asset[]): esbuild.Plugin {
  return {
    name: 'relaycast-sea',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?js$/ }, async (args) => {
        if (args.namespace !== 'file' || args.path === RUNTIME) return undefined;
        const resolveDir = path.dirname(args.path);
        if (args.path.endsWith(`${path.sep}classic-level${path.sep}binding.js`)) {
          const addon = nativeAddon(resolveDir);
          addons.push({ key: rel(addon), file: addon });
          return { contents: `module.exports = require(${JSON.stringify(RUNTIME)}).loadNative(${JSON.stringify(rel(addon))});\n`, loader: 'js', resolveDir };
        }
        const text = await fs.promises.readFile(args.path, 'utf8');
        if (!/\b__(?:dirname|filename)\b/.test(text)) return { contents: text, loader: 'js', resolveDir };
        rewritten.add(args.path);
        return { contents: insertPrologue(text, pathPrologue(args.path)), loader: 'js', resolveDir };
      });
    },
  };
}

function sha256(...parts: Array<string | Buffer>): string {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

function run(file: string, args: string[], what: string): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: STEP_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`build-bin: ${what} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

export async function buildBin(options: BuildBinOptions = {}): Promise<BuildBinResult> {
  const started = Date.now();
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  if (major < 20 || (major === 20 && minor < 12)) throw new Error(`build-bin: needs Node >= 20.12 (sea.getAsset); this is ${process.version}`);
  if (process.platform !== 'linux') throw new Error(`build-bin: only Linux is supported (this is ${process.platform}); see docs/binary.md`);
  if (!fs.existsSync(ENTRY) || !fs.existsSync(RUNTIME)) throw new Error('build-bin: dist/scripts/sea-main.js is missing; run `npm run build` first');

  const out = path.resolve(options.out ?? path.join(ROOT, 'dist-bin'));
  const work = path.join(out, '.build');
  fs.mkdirSync(work, { recursive: true });
  const binary = path.join(out, 'relaycast');
  const shown = path.relative(process.cwd(), binary).startsWith('..') ? binary : path.relative(process.cwd(), binary);

  // 1. Bundle.
  const rewritten = new Set<string>();
  const addons: Asset[] = [];
  const bundle = path.join(work, 'relaycast.bundle.js');
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // The source root lets the bundle run outside a SEA (node dist-bin/.build/relaycast.bundle.js) for debugging.
    define: { __RELAYCAST_SOURCE_ROOT__: JSON.stringify(ROOT) },
    plugins: [seaPlugin(rewritten, addons)],
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
  });
  for (const w of result.warnings) log(`esbuild warning: ${w.text}${w.location ? ` (${w.location.file}:${w.location.line})` : ''}`);
  const external = new Set<string>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imp of output.imports) if (imp.external) external.add(imp.path);
  }
  // node:sea and node:test exist only with the prefix, so builtinModules omits them.
  const notBuiltin = [...external].filter((p) => !p.startsWith('node:') && !builtinModules.includes(p));
  if (notBuiltin.length > 0) throw new Error(`build-bin: the bundle still requires non-built-in modules, which a SEA cannot load: ${notBuiltin.join(', ')}`);
  if (addons.length !== 1) throw new Error(`build-bin: expected to embed exactly one native addon (classic-level), found ${addons.length}`);
  log(`bundled ${Object.keys(result.metafile.inputs).length} modules (${(fs.statSync(bundle).size / 1e6).toFixed(1)} MB); paths rewritten in: ${[...rewritten].map(rel).join(', ')}`);

  // 2. Assets: the files the rewritten modules read, mirrored under their repo-relative paths.
  const assets: Asset[] = [...addons];
  // Every .proto of each package whose code finds files through __dirname
  // (grpc-health-check, @grpc/reflection, grpc-js's channelz and ORCA):
  // where they sit differs per package, and all of them weigh under 100 kB.
  const protoDirs = new Set<string>([path.join(ROOT, 'proto')]);
  for (const file of rewritten) {
    const pkg = packageRoot(file);
    if (pkg !== undefined) protoDirs.add(pkg);
  }
  for (const dir of protoDirs) for (const file of listFiles(dir, '.proto')) assets.push({ key: rel(file), file });
  const pkgJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  const pkgFile = path.join(work, 'package.json');
  fs.writeFileSync(pkgFile, `${JSON.stringify({ name: pkgJson.name, version: pkgJson.version })}\n`);
  assets.push({ key: 'package.json', file: pkgFile });
  const stubFile = path.join(work, 'relaycast-stub.js');
  fs.writeFileSync(stubFile, "// Placeholder extracted by the relaycast single executable (see docs/binary.md): run the binary itself.\n" +
    "process.stderr.write('relaycast: this file belongs to the relaycast binary; run the binary instead\\n');\nprocess.exit(64);\n");
  assets.push({ key: BIN_STUB, file: stubFile });
  assets.sort((a, b) => (a.key < b.key ? -1 : 1));
  if (new Set(assets.map((a) => a.key)).size !== assets.length) throw new Error('build-bin: two assets with the same key');

  const assetHash = sha256(...assets.flatMap((a) => [a.key, fs.readFileSync(a.file)]));
  const manifest: SeaManifest = { hash: assetHash, files: assets.map((a) => a.key) };
  const manifestFile = path.join(work, 'manifest.json');
  fs.writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  const assetBytes = assets.reduce((n, a) => n + fs.statSync(a.file).size, 0);
  log(`embedding ${assets.length} assets (${(assetBytes / 1e6).toFixed(1)} MB)`);

  // Up to date? The same bundle, assets, Node binary and options.
  const nodeStat = fs.statSync(process.execPath);
  const fingerprint = sha256(fs.readFileSync(bundle), assetHash, process.version, process.execPath, String(nodeStat.size), String(nodeStat.mtimeMs), String(options.strip === true));
  const stampFile = path.join(work, 'stamp.json');
  if (options.force !== true && fs.existsSync(binary)) {
    try {
      const stamp = JSON.parse(fs.readFileSync(stampFile, 'utf8')) as { fingerprint: string; bytes: number };
      if (stamp.fingerprint === fingerprint && stamp.bytes === fs.statSync(binary).size) {
        log(`${shown} is up to date`);
        return { binary, bytes: stamp.bytes, built: false, ms: Date.now() - started };
      }
    } catch {
      // No or bad stamp: build.
    }
  }
  fs.rmSync(stampFile, { force: true });

  // 3. Blob, then a copy of this Node with the blob injected.
  const blob = path.join(work, 'sea-prep.blob');
  const seaConfig = {
    main: bundle,
    output: blob,
    disableExperimentalSEAWarning: true,
    // V8's code cache for the bundle: faster start; tied to this Node build, like the binary.
    useCodeCache: true,
    assets: Object.fromEntries([[MANIFEST_KEY, manifestFile], ...assets.map((a) => [a.key, a.file])]),
  };
  const seaConfigFile = path.join(work, 'sea-config.json');
  fs.writeFileSync(seaConfigFile, `${JSON.stringify(seaConfig, null, 2)}\n`);
  run(process.execPath, ['--experimental-sea-config', seaConfigFile], 'node --experimental-sea-config');

  const tmp = `${binary}.${process.pid}.tmp`;
  try {
    fs.copyFileSync(process.execPath, tmp);
    fs.chmodSync(tmp, 0o755);
    if (options.strip === true) run('strip', [tmp], 'strip');
    // postject's CLI in a child: its ELF library prints harmless warnings we only show on failure.
    run(process.execPath, [path.join(path.dirname(require.resolve('postject')), 'cli.js'), tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], 'postject');
    fs.renameSync(tmp, binary);
  } finally {
    fs.rmSync(tmp, { force: true });
  }

  // 4. It starts and reads its embedded package.json.
  const version = run(binary, ['--version'], 'the built binary (--version)').trim();
  if (version !== pkgJson.version) throw new Error(`build-bin: the binary printed version ${JSON.stringify(version)}, expected ${pkgJson.version}`);
  const bytes = fs.statSync(binary).size;
  fs.writeFileSync(stampFile, `${JSON.stringify({ fingerprint, bytes })}\n`);
  const ms = Date.now() - started;
  log(`built ${shown}: ${(bytes / 1e6).toFixed(1)} MB in ${(ms / 1000).toFixed(1)} s`);
  return { binary, bytes, built: true, ms };
}

function parseArgs(argv: string[]): BuildBinOptions {
  const options: BuildBinOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--force') options.force = true;
    else if (arg === '--strip') options.strip = true;
    else if (arg === '--out' && argv[i + 1] !== undefined) options.out = argv[++i];
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('Usage: node dist/scripts/build-bin.js [--out DIR] [--force] [--strip]\n');
      process.exit(0);
    } else {
      process.stderr.write(`build-bin: unknown argument ${JSON.stringify(arg)}\n`);
      process.exit(2);
    }
  }
  return options;
}

if (require.main === module) {
  buildBin(parseArgs(process.argv.slice(2))).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
