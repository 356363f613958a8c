/** One validation issue as zod reports it (classic zod and `zod/mini` alike). */
interface Issue {
  readonly path: ReadonlyArray<PropertyKey>;
  readonly message: string;
}

/**
 * Formats zod issues as `path: message` lines an operator can act on. In a module of its own, with no
 * zod import, so a function on `zod/mini` (functions/shared/zod-mini.ts) uses it without classic zod.
 */
export function describeIssues(error: { readonly issues: ReadonlyArray<Issue> }): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
}
