#!/usr/bin/env node
// countersign-mcp-proxy --config <file>: puts countersign in front of any stdio MCP server.
import { isCountersignError } from '@countersign/core';
import { loadProxyConfig } from './proxy-config.js';
import { runProxyFromConfig } from './proxy-runner.js';

const USAGE = 'usage: countersign-mcp-proxy --config <file.json>';
/** If something still holds the process once everything is closed, it exits anyway after this. */
const EXIT_GRACE_MS = 5_000;

async function main(argv: readonly string[]): Promise<number> {
  const [flag, file, ...rest] = argv;
  if (flag !== '--config' || file === undefined || rest.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = await loadProxyConfig(file);
  const proxy = await runProxyFromConfig(config);
  // A signal stops the proxy cleanly (requests in flight answered, server ended, store closed)
  // even while the client keeps its end of stdin open; a second signal ends it at once.
  const stop = () => void proxy.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const code = await proxy.done;
  return code ?? 1;
}

main(process.argv.slice(2)).then(
  (code) => exit(code),
  (error: unknown) => {
    const message = isCountersignError(error) || error instanceof Error ? error.message : String(error);
    process.stderr.write(`[countersign-mcp-proxy] ${message}\n`);
    exit(1);
  },
);

/** Lets pending output drain; stdin, which the client may keep open, no longer holds the process. */
function exit(code: number): void {
  process.exitCode = code;
  process.stdin.destroy();
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
}
