#!/usr/bin/env node
// countersign-mcp-proxy --config <file>: puts countersign in front of any stdio MCP server.
import { isCountersignError } from '@countersign/core';
import { loadProxyConfig } from './proxy-config.js';
import { runProxyFromConfig } from './proxy-runner.js';

const USAGE = 'usage: countersign-mcp-proxy --config <file.json>';

async function main(argv: readonly string[]): Promise<number> {
  const [flag, file, ...rest] = argv;
  if (flag !== '--config' || file === undefined || rest.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = await loadProxyConfig(file);
  const proxy = await runProxyFromConfig(config);
  const stop = () => void proxy.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const code = await proxy.done;
  return code ?? 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = isCountersignError(error) || error instanceof Error ? error.message : String(error);
    process.stderr.write(`[countersign-mcp-proxy] ${message}\n`);
    process.exitCode = 1;
  },
);
