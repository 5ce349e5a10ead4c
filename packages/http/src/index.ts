// @countersign/http: work in progress.
export {};
