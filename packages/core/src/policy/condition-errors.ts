// Why a condition failed to evaluate, said without any value of the call (it goes to the audit).

/** A failure whose message is already free of the call's values. */
export class ConditionFault extends Error {
  override name = 'ConditionFault';
}

/** Fixed messages for the library's error codes, whose own messages may quote a param's value. */
const BY_CODE: Record<string, string> = {
  index_out_of_range: 'index out of range',
  index_out_of_bounds: 'index out of range',
  field_type_mismatch: 'a field has another type',
  list_item_type_mismatch: 'a list item has another type',
  invalid_condition_type: 'a ternary condition is not a bool',
  invalid_logical_operand: 'an operand of && or || is not a bool',
  division_by_zero: 'division by zero',
  modulo_by_zero: 'modulo by zero',
  numeric_overflow: 'integer overflow',
  int_conversion_error: 'cannot convert the value to int',
  uint_conversion_error: 'cannot convert the value to uint',
  invalid_duration: 'invalid duration string',
  invalid_timestamp: 'invalid timestamp string',
  invalid_regular_expression: 'the pattern is not valid RE2',
  invalid_comparison_type: 'values of these types cannot be compared',
  cannot_index_type: 'this type cannot be indexed',
  invalid_index_type: 'invalid index type',
  unsupported_type: 'unsupported value type',
  optional_value_missing: 'optional value is not present',
  optional_expected: 'an optional value was expected',
};

interface CelErrorShape {
  code: string;
  node?: { op?: unknown; args?: unknown } | undefined;
}

function isCelError(error: unknown): error is CelErrorShape {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}

/**
 * What a condition's failure says, naming only the expression's own text (a field written in it,
 * an operator, a function), never a value from the call: `params[params.k]` names no key.
 */
export function describeFailure(error: unknown): string {
  if (error instanceof ConditionFault) return error.message;
  if (!isCelError(error)) return 'evaluation failed';
  const { code, node } = error;
  if (code === 'no_such_key') {
    const key = writtenKey(node);
    return key === null ? 'no such key (the key is a value of the call)' : `no such key: ${key}`;
  }
  if (code === 'no_such_overload' || code === 'no_matching_overload') {
    const name = writtenOperation(node);
    return `no matching overload${name === null ? '' : ` for '${name}'`}: an operand has another type`;
  }
  return BY_CODE[code] ?? `evaluation failed (${code})`;
}

/** The key a field access or a literal index wrote in the expression, else null. */
function writtenKey(node: CelErrorShape['node']): string | null {
  if (node === undefined) return null;
  const { op, args } = node as { op: unknown; args: unknown };
  if ((op === '.' || op === '.?') && Array.isArray(args) && typeof args[1] === 'string') return args[1];
  if ((op === '[]' || op === '[?]') && Array.isArray(args)) {
    const index = args[1] as { op?: unknown; args?: unknown } | undefined;
    if (index?.op === 'value' && (typeof index.args === 'string' || typeof index.args === 'bigint')) {
      return String(index.args);
    }
  }
  return null;
}

/** The operator or function a node applies, as written. */
function writtenOperation(node: CelErrorShape['node']): string | null {
  if (node === undefined) return null;
  const { op, args } = node as { op: unknown; args: unknown };
  if ((op === 'call' || op === 'rcall') && Array.isArray(args) && typeof args[0] === 'string') return args[0];
  return typeof op === 'string' && op.length <= 3 ? op.replace(/_$/, '') : null;
}
