// Limits on a node:http server: how long a client may take to send a request, and how many may connect.
import type { Server, ServerOptions } from 'node:http';
import { ConfigError } from '@countersign/core';
import { checkKeys, PREFIX, positiveInteger } from './options.js';

/** Every value is a positive integer; the defaults hold a trickling or idle client to seconds, not minutes. */
export interface ServerLimits {
  /** Time to receive a request's headers, in ms; a client still sending them gets 408. Default 10000. */
  headersTimeoutMs?: number | undefined;
  /**
   * Time to receive a whole request, headers and body, in ms; a body trickled slower is cut off with
   * 408 and the connection closed. At least `headersTimeoutMs`. Default 30000 (Node's is 300000).
   */
  requestTimeoutMs?: number | undefined;
  /** How long a keep-alive connection may sit idle between requests, in ms. Default 5000. */
  keepAliveTimeoutMs?: number | undefined;
  /** Headers per request: Node 24 answers 431 past it (older versions ignore the rest). Default 100. */
  maxHeadersCount?: number | undefined;
  /** Largest header section, in bytes; a larger one is 431. Default 16384. */
  maxHeaderBytes?: number | undefined;
  /**
   * Requests served on one keep-alive connection: the last answer says `Connection: close`, requests
   * pipelined past it get 503. Default 1000.
   */
  maxRequestsPerSocket?: number | undefined;
  /**
   * Connections open at once; one more is closed as soon as it is accepted. Default 2000. Live inbox
   * streams hold one each (`inbox.maxStreams`, default 1000), so keep this above that.
   */
  maxConnections?: number | undefined;
}

/** Every limit, defaults filled in. */
export type ResolvedServerLimits = { readonly [K in keyof ServerLimits]-?: number };

export const SERVER_LIMIT_KEYS = [
  'headersTimeoutMs',
  'requestTimeoutMs',
  'keepAliveTimeoutMs',
  'maxHeadersCount',
  'maxHeaderBytes',
  'maxRequestsPerSocket',
  'maxConnections',
] as const;

export const DEFAULT_SERVER_LIMITS: ResolvedServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxHeadersCount: 100,
  maxHeaderBytes: 16_384,
  maxRequestsPerSocket: 1_000,
  maxConnections: 2_000,
};

/** The limits with defaults filled in; unknown keys and non-positive values are `ConfigError`s. */
export function serverLimits(limits: ServerLimits = {}): ResolvedServerLimits {
  checkKeys(limits, SERVER_LIMIT_KEYS, 'limits');
  const resolved = {} as { -readonly [K in keyof ResolvedServerLimits]: number };
  for (const key of SERVER_LIMIT_KEYS) {
    resolved[key] = positiveInteger(limits[key], DEFAULT_SERVER_LIMITS[key], `limits.${key}`);
  }
  if (resolved.headersTimeoutMs > resolved.requestTimeoutMs) {
    throw new ConfigError(
      `${PREFIX} limits.headersTimeoutMs (${resolved.headersTimeoutMs}) must not exceed limits.requestTimeoutMs (${resolved.requestTimeoutMs})`,
    );
  }
  return resolved;
}

/** The options for `createServer`. */
export function serverOptions(limits: ResolvedServerLimits): ServerOptions {
  const shortest = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxHeaderSize: limits.maxHeaderBytes,
    // Node checks both timeouts only on this tick (default 30 s): check often enough to honour them.
    connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(shortest / 4))),
  };
}

/** Sets the limits `createServer` takes no option for. */
export function applyServerLimits(server: Server, limits: ResolvedServerLimits): void {
  server.maxHeadersCount = limits.maxHeadersCount;
  server.maxRequestsPerSocket = limits.maxRequestsPerSocket;
  server.maxConnections = limits.maxConnections;
}
