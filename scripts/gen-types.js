#!/usr/bin/env node
// Generates TypeScript types from proto/ with proto-loader-gen-types.
// `node scripts/gen-types.js` writes protocol/generated/;
// `node scripts/gen-types.js --check` fails when protocol/generated/ is stale.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const protoDir = path.join(root, 'proto');
const outDir = path.join(root, 'protocol', 'generated');

function listProtos(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listProtos(full);
    return entry.name.endsWith('.proto') ? [path.relative(protoDir, full)] : [];
  });
}

function generate(into) {
  const bin = require.resolve('@grpc/proto-loader/build/bin/proto-loader-gen-types.js');
  // These options must match protocol/proto.ts's loader options.
  execFileSync(process.execPath, [bin,
    '--grpcLib=@grpc/grpc-js', '--longs=Number', '--enums=String', '--defaults', '--oneofs',
    '--includeComments', '-I', protoDir, '-O', into, ...listProtos(path.join(protoDir, 'relaycast')).sort()], { stdio: 'inherit' });
  // The generator names each type's source by absolute path; keep the output
  // independent of where the repository is checked out.
  for (const [file, text] of readTree(into)) {
    fs.writeFileSync(path.join(into, file), text.split(protoDir + path.sep).join('proto/'));
  }
}

function readTree(dir, base = dir, out = new Map()) {
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) readTree(full, base, out);
    else out.set(path.relative(base, full), fs.readFileSync(full, 'utf8'));
  }
  return out;
}

if (process.argv.includes('--check')) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'relaycast-gen-'));
  try {
    generate(tmp);
    const fresh = readTree(tmp);
    const committed = readTree(outDir);
    const stale = [...new Set([...fresh.keys(), ...committed.keys()])]
      .filter((file) => fresh.get(file) !== committed.get(file)).sort();
    if (stale.length > 0) {
      console.error(`protocol/generated is stale (${stale.length} files differ: ${stale.slice(0, 5).join(', ')}).\nRun: npm run gen`);
      process.exit(1);
    }
    console.log(`protocol/generated is up to date (${fresh.size} files).`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
} else {
  fs.rmSync(outDir, { recursive: true, force: true });
  generate(outDir);
}
