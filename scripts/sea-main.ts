/**
 * Entry point of the single executable (scripts/build-bin.ts bundles it):
 * what bin/relaycast.js does for the npm package. Not used by the normal path.
 */
import { main } from '../cli/relaycast';
import { BIN_STUB, seaPath } from './sea-runtime';

// A SEA gets [execPath, argv0, ...args]. Code that re-runs the CLI as
// `execPath <bin/relaycast.js> ...` (the demo's LocalCluster) passes the
// placeholder script the binary extracted; it is not a user argument.
const argv = process.argv.slice(2);
if (argv[0] !== undefined && argv[0] === seaPath(BIN_STUB)) argv.shift();
main(argv);
