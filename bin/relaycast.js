#!/usr/bin/env node
'use strict';
let cli;
try {
  cli = require('../dist/cli/relaycast.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/relaycast.js')) {
    console.error('relaycast: the compiled code is missing; run `npm install` (or `npm run build`) in the package directory.');
    process.exit(70);
  }
  throw err;
}
cli.main(process.argv.slice(2));
