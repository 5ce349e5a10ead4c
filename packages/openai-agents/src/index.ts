// @countersign/openai-agents: work in progress.
export {};
