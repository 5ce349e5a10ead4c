// @countersign/opentelemetry: work in progress.
export {};
