// RFC 9457 problem documents: every error the HTTP API answers with.

/** The body of an `application/problem+json` response. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Stable machine code, the same as core's error codes where one applies. */
  code: string;
  /** The input field at fault, for 400s. */
  field?: string | undefined;
}

export const PROBLEM_TYPE_BASE = 'https://countersign.dev/problems/';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  503: 'Service unavailable',
};

export function problem(
  status: number,
  code: string,
  detail: string,
  extra: { field?: string | undefined; headers?: Record<string, string> | undefined } = {},
): Response {
  const body: Problem = {
    type: `${PROBLEM_TYPE_BASE}${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
  };
  if (extra.field !== undefined) body.field = extra.field;
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'content-type': 'application/problem+json',
      'cache-control': 'no-store',
      ...extra.headers,
    },
  });
}
