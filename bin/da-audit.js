#!/usr/bin/env node
// da-audit command: runs the tsc build in dist/ (npm run build).
import { tuneTiering } from '../dist/cli/v8-tiering.js';

// Before the command's modules are loaded, so that their functions are counted against the tuned budget.
tuneTiering();
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
