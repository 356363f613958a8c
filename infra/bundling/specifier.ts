/** Module specifiers as code passes them to `import()` (infra/bundling/first-use.ts). */

/** The package a specifier names: `@scope/name` or `name`. */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/** `./sub/path` for a specifier's subpath within its package, `.` for the package itself. */
export function subpathOf(specifier: string): string {
  const rest = specifier.slice(packageOf(specifier).length);
  return rest === '' ? '.' : `.${rest}`;
}
