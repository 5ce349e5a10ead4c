// @countersign/mcp: work in progress.
export {};
