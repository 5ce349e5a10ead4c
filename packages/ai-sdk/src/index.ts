// @countersign/ai-sdk: work in progress.
export {};
