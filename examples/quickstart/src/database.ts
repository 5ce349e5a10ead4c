import type { Countersign } from '@countersign/core';

export interface ExportRequest {
  table: string;
  format: 'csv' | 'json';
  destination: { bucket: string; apiKey: string };
}

const CUSTOMERS = [
  { id: 1, name: 'Ada', plan: 'pro', churned: false },
  { id: 2, name: 'Grace', plan: 'team', churned: true },
  { id: 3, name: 'Linus', plan: 'free', churned: false },
];

/**
 * The resource side, standing in for a real database. It does not trust the agent: an export
 * runs only with a grant token that countersign accepts once, for exactly this export.
 */
export function createDatabase(cs: Countersign) {
  return {
    read(table: string, limit: number) {
      return table === 'customers' ? CUSTOMERS.slice(0, limit) : [];
    },
    async export(token: string, request: ExportRequest, sessionId: string) {
      const grant = await cs.grants.consume(token, {
        name: 'db.export',
        resource: `prod/${request.table}`,
        params: { ...request },
        sessionId,
      });
      return { grantId: grant.id, rows: request.table === 'customers' ? CUSTOMERS : [] };
    },
  };
}
