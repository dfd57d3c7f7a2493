/**
 * Entry point of the edge bundle: `node dist/gateway.js <gateway.yaml>` is `lianwang gateway
 * <gateway.yaml>` without tsx, without the other commands and without node_modules (build/edge.ts
 * bundles this file; docs/edge.md says how to install it).
 */
import process from 'node:process';
import { gatewayCommand } from '../bin/commands/gateway.ts';

/** package.json's version, put in by build/edge.ts (esbuild `define`). */
declare const LIANWANG_VERSION: string;

const USAGE = `Usage: node gateway.js <gateway.yaml>

Runs a lianwang edge gateway until SIGINT/SIGTERM (graceful: NDEATH, queue flushed);
SIGHUP re-reads the file. LOG_LEVEL=debug for more. See docs/edge.md.`;

const args = process.argv.slice(2);
if (args[0] === '--version' || args[0] === '-v') console.log(LIANWANG_VERSION);
else if (args[0] === '--help' || args[0] === '-h') console.log(USAGE);
else
  process.exitCode = await gatewayCommand(args).catch((err: unknown) => {
    // Printed here rather than left uncaught: for an uncaught error Node also prints the source line
    // it was thrown from, and a minified line is hundreds of kilobytes of log. Then exit at once: a
    // gateway that failed half-way through start() may have left its MQTT link retrying, and the
    // service manager should restart the process instead.
    console.error('lianwang gateway failed:', err);
    process.exit(1);
  });
