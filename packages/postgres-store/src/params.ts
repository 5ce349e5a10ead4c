// Params: builds a statement's parameter list, so SQL is written with placeholders inline.
export class Params {
  readonly values: unknown[] = [];
  /** Adds `value` and returns its placeholder. */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
