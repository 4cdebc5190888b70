#!/usr/bin/env node
import { main, SHUTDOWN_TIMEOUT_MS } from './main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Normally the process ends by itself here; this only catches a handle that would keep it alive.
    setTimeout(() => process.exit(code), SHUTDOWN_TIMEOUT_MS).unref();
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
