#!/usr/bin/env node
// The `lianwang` command. Node 20 cannot run TypeScript itself, so this shim registers
// tsx's loader and hands over to the TypeScript entry point. (The edge build bundles
// gateway code with esbuild instead; see docs/edge.md.)
import process from 'node:process';
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
