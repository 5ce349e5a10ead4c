// @countersign/langgraph: work in progress.
export {};
