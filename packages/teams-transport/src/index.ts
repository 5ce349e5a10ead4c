// @countersign/teams-transport: work in progress.
export {};
