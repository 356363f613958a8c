import { RUNBOOKS } from '../../runbooks/registry.js';

/** `ops list`: the runbooks, their mode and what triggers each. */
export async function run(args: string[]): Promise<number> {
  if (args.includes('--help')) {
    console.log('usage: ops list [--json]\n\nPrints every runbook, its default mode and what triggers it.');
    return 0;
  }
  if (args.includes('--json')) {
    const out = RUNBOOKS.map((r) => ({
      name: r.name,
      summary: r.summary,
      mode: r.defaults.mode,
      mutating: r.mutating,
      revertible: r.revertible,
      triggers: r.triggers,
    }));
    console.log(JSON.stringify(out, null, 2));
    return 0;
  }
  for (const r of RUNBOOKS) {
    console.log(
      `${r.name}  (${r.defaults.mode}${r.mutating ? ', mutating' : ', read-only'}${r.revertible ? ', revertible' : ''})`,
    );
    console.log(`  ${r.summary}`);
    for (const t of r.triggers) console.log(`  - ${t}`);
    console.log('');
  }
  return 0;
}
