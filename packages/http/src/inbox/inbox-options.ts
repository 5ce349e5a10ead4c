// The inbox's public options, and the keys a config may name.

export interface InboxOptions {
  /** How long a sign-in lasts, in milliseconds. Default 3600000 (one hour). */
  sessionTtlMs?: number | undefined;
  /** Mark the session cookie `Secure`. Default: true when `publicUrl` is https. */
  secureCookies?: boolean | undefined;
  /** Requests shown on the list page, nearest deadline first. Default 200. */
  pageSize?: number | undefined;
  /** Live-update streams this process holds open at most. Default 1000. */
  maxStreams?: number | undefined;
  /** Seconds between keep-alive comments on the live stream. Default 15. */
  keepAliveSeconds?: number | undefined;
}

export const INBOX_OPTION_KEYS = [
  'sessionTtlMs',
  'secureCookies',
  'pageSize',
  'maxStreams',
  'keepAliveSeconds',
] as const;
