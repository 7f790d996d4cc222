// Positional parameters for a statement built piece by piece: each value becomes `$n` once.
export type SqlParams = {
  /** The placeholder (`$n`) of a new parameter holding `value`. */
  add(value: unknown): string;
  readonly values: unknown[];
};

export function createSqlParams(): SqlParams {
  const values: unknown[] = [];
  return {
    values,
    add(value) {
      values.push(value);
      return `$${values.length}`;
    },
  };
}
