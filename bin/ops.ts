/**
 * `ops`: the operator's command. Thin commands over the same cores the Lambdas run.
 * Each command lives in `bin/commands/<name>.ts` and exports `run(args): Promise<number>`.
 */
const COMMANDS: Record<
  string,
  { summary: string; load: () => Promise<{ run(args: string[]): Promise<number> }> }
> = {
  list: { summary: 'list the runbooks and what triggers each', load: () => import('./commands/list.js') },
  history: {
    summary: 'the audited runs that touched a resource (<resource> [--since ISO] [--stage S])',
    load: () => import('./commands/history.js'),
  },
  plan: {
    summary: 'show what the intake decides for a recorded event (offline)',
    load: () => import('./commands/plan.js'),
  },
  serve: {
    summary: 'run the Slack endpoint locally (SLACK_SIGNING_SECRET; [--port N])',
    load: () => import('./commands/serve.js'),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: ops <command> [args]\n\ncommands:\n${lines.join('\n')}\n\nRun "ops <command> --help" for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`ops: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return (await command.load()).run(args);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`ops: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
