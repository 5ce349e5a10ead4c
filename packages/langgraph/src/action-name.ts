// How LLM tool names become countersign action names.

/**
 * The default action name of a tool: each `__` becomes `.`, so a tool named `db__export` is the
 * action `db.export` and policy globs such as `db.*` match it. Function names allow only
 * `[a-zA-Z0-9_-]`; pass `action` explicitly for any other mapping.
 */
export function actionFromToolName(toolName: string): string {
  return toolName.replaceAll('__', '.');
}
