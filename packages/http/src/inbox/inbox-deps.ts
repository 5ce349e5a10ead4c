// What the inbox is mounted with: the app it adds routes to, and its resolved dependencies and limits.
import type { Clock, Countersign, Store } from '@countersign/core';
import type { Hono } from 'hono';
import type { BearerVerifier } from '../bearer-auth.js';
import type { ChangeFeed } from '../change-feed.js';
import type { RefusalAudit } from '../refusal-audit.js';
import type { SessionStore } from './sessions.js';

// biome-ignore lint/suspicious/noExplicitAny: the inbox mounts onto any app's variables.
export type InboxApp = Hono<any>;

export interface InboxDeps {
  cs: Countersign;
  store: Store;
  bearer: BearerVerifier;
  clock: Clock;
  auditors: ReadonlySet<string>;
  feed: ChangeFeed;
  refusals: RefusalAudit;
  sessions: SessionStore;
  maxBodyBytes: number;
  maxScan: number;
  publicOrigin: string | null;
  secureCookies: boolean;
  sessionTtlMs: number;
  pageSize: number;
  maxStreams: number;
  keepAliveMs: number;
}
