// The serviceUrl allow-list: which Bot Connector origins may ever receive the bot's token.
import { ConfigError } from '@countersign/core';

/** Microsoft's Teams service origins (commercial, GCC, GCC High, DoD). */
export const MICROSOFT_SERVICE_ORIGINS: readonly string[] = [
  'https://smba.trafficmanager.net',
  'https://smba.infra.gcc.teams.microsoft.com',
  'https://smba.infra.gov.teams.microsoft.us',
  'https://smba.infra.dod.teams.microsoft.us',
];

/** Checks the configured origins: each must be exactly `scheme://host[:port]`. */
export function parseAllowedOrigins(origins: readonly string[], prefix: string): ReadonlySet<string> {
  if (!Array.isArray(origins) || origins.length === 0) {
    throw new ConfigError(`${prefix} allowedServiceOrigins must be a non-empty array of origins`);
  }
  const set = new Set<string>();
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError(`${prefix} allowedServiceOrigins: "${String(origin)}" is not a URL`);
    }
    if (url.origin !== origin.replace(/\/$/, '') || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw new ConfigError(
        `${prefix} allowedServiceOrigins: "${origin}" must be an origin such as https://smba.trafficmanager.net, with no path`,
      );
    }
    set.add(url.origin);
  }
  return set;
}

/**
 * True when `serviceUrl` is on an allowed origin. Compared by exact origin (scheme, host and port),
 * so look-alike hosts, credentials in the URL and other ports are all refused.
 */
export function isAllowedServiceUrl(serviceUrl: string, allowed: ReadonlySet<string>): boolean {
  let url: URL;
  try {
    url = new URL(serviceUrl);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '') return false;
  return allowed.has(url.origin);
}
