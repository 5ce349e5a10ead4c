// @countersign/cli: work in progress.
export {};
