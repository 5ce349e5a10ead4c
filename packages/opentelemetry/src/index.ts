// @countersign/opentelemetry: spans for guards and metrics for approvals, through @opentelemetry/api.
export { type InstrumentOptions, instrument } from './instrument.js';
export { Attr, GUARD_SPAN, Metric } from './names.js';
