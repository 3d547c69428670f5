#!/usr/bin/env node
// da-audit command: runs the tsc build in dist/ (npm run build).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
