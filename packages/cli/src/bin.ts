#!/usr/bin/env node
// The countersign executable: runs the command line and exits with its code.
import { run } from './main.js';

process.exitCode = await run(process.argv.slice(2));
