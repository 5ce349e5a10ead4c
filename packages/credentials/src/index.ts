// @countersign/credentials: work in progress.
export {};
