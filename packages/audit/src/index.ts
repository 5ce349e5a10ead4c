// @countersign/audit: work in progress.
export {};
