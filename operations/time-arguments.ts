/** A command's time arguments (`--since`, `--until`): ISO 8601, each problem named with its flag. */
export function readTime(
  flag: string,
  value: string | undefined,
  problems: string[],
  required: boolean,
): Date | undefined {
  if (value === undefined) {
    if (required) problems.push(`${flag} is required: an ISO time such as 2026-01-15T08:00:00Z`);
    return undefined;
  }
  const time = Date.parse(value);
  if (Number.isNaN(time)) {
    problems.push(`${flag} "${value}" is not a time: use ISO 8601, e.g. 2026-01-15T08:00:00Z`);
    return undefined;
  }
  return new Date(time);
}
