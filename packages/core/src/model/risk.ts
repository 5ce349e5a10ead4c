// Risk levels: what an action declares, a rule fixes or conditions compute, and their order.

export type Risk = 'low' | 'medium' | 'high' | 'critical';

/** Risk levels from the highest down: `riskWhen` conditions are tried in this order. */
export const RISK_LEVELS: readonly Risk[] = ['critical', 'high', 'medium', 'low'];

/** 0 for low up to 3 for critical. */
export const riskRank = (risk: Risk): number => 3 - RISK_LEVELS.indexOf(risk);
