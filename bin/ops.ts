/**
 * `ops`: the operator's command. One commander program; every command declares its options and
 * arguments, takes `--stage` (or OPS_STAGE), `--help` and `--version`, and exits 0 (ok), 1 (failure)
 * or 2 (usage: unknown option, extra argument, bad value). Commands are loaded only when run, so
 * `--help` and `--version` start fast. Shipped pre-built (dist/ops.mjs, see bin/build.mjs).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import type { CommandContext } from './cli/context.js';
import { EXIT, type Io } from './cli/io.js';
import { parseLimit, parsePort, parseSince } from './cli/parse.js';
import { sanitise } from './cli/sanitise.js';
import type { StageLoader } from './cli/stage.js';

export interface CliDeps {
  readonly io: Io;
  /** How stages are loaded; tests inject a broken one. Default: config/index.ts's `loadStage`. */
  readonly loadStage?: StageLoader;
}

const PLAN_DESCRIPTION = [
  'Show what the intake decides for one recorded event, offline.',
  '',
  "Reads one raw event exactly as delivered (an EventBridge event, or a Datadog webhook body) from a file or from stdin (-), runs the intake's policy and static guards for the stage, and prints the signal, the decision and each guard's verdict. No AWS credentials, no guard store: the stateful guards (duplicates, locks, rate limits, circuit breaker, kill switch) run only in the deployed intake. Exit 0 for any decision; 1 for unreadable or unrecognised input; 2 for a usage error.",
].join('\n');

const REPLAY_DESCRIPTION = [
  "Replay recorded events through the intake's policy and static guards, offline, and summarise.",
  '',
  'Reads CloudTrail log files ({"Records": [...]} as the trail writes them to S3; each record is put into the EventBridge envelope the CloudTrail integration delivers), EventBridge events (one JSON object, NDJSON, concatenated, or a JSON array such as an archive export), gzipped or not, and directories of them (walked recursively, in name order), or - for stdin. Streams: memory stays bounded whatever the input\'s size. Prints counts by outcome, policy rule, runbook and EventBridge rule, the notable decisions (starts and critical notifications; the first 200 listed), and every event it could not read with the reason (the first 200). Progress goes to stderr on a terminal (or with --progress), never to stdout.',
  '',
  'Exit 0 when every path was read, even if some events were unreadable (they are listed); 1 when a path cannot be opened or read, or with --strict when any event was unreadable or malformed; 2 for a usage error.',
].join('\n');

const LIST_DESCRIPTION = [
  'List the runbooks: their mode in the stage, what they change, and what triggers each.',
  '',
  "The mode and enablement are the stage's (shipped defaults with the stage's overrides applied).",
].join('\n');

const HISTORY_DESCRIPTION = [
  'The audited runs that touched a resource, newest first.',
  '',
  "A resource is a volume id, cluster/nodegroup, secret name, zone/record… Reads the stage's audit table (ops-<stage>-audit): when, runbook, outcome, who asked, who approved, what changed, and whether the run's audit chain verifies. Needs AWS credentials for the stage's account (read-only: dynamodb:Query). Exit 0 on success (also when nothing is found); 1 when the table cannot be read or a chain does not verify; 2 for a usage error.",
].join('\n');

const SERVE_DESCRIPTION = [
  'Run the Slack endpoint locally (POST /slack/events), for a Slack app pointed at it.',
  '',
  "Prints every request, its answer, and each run's messages and result on the terminal, so a local try works without a real Slack (send a signed request with curl). Environment:",
  "  SLACK_SIGNING_SECRET  required: the Slack app's signing secret",
  '  SLACK_BOT_TOKEN       optional: threads and user groups',
  'Without AWS credentials (or with --offline) it answers help, list and plan, and run says what it would do. Stops on Ctrl-C. Exit 2 without SLACK_SIGNING_SECRET.',
].join('\n');

const DOCTOR_DESCRIPTION = [
  "Check a deployed stage's prerequisites, read-only, and say how to fix what is missing.",
  '',
  "Checks that the automation's secrets exist and hold a value, that the Datadog partner event bus is associated and carries the intake's rule, that the Datadog::Monitors::Monitor CloudFormation registry type is activated, that the kill switch and pause flags are readable, and that the alarm topic has confirmed subscriptions. Needs AWS credentials for the stage's account (read-only calls only). Exit 0 when everything is in place; 1 when something is missing or cannot be checked.",
].join('\n');

const STAGE_HELP = 'the stage to work on';

/** commander's value parsers turn a thrown Error into a usage error naming the option. */
function parser<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

/** The program, writing to `deps.io`; `exitCode()` is the code the command that ran returned. */
export function buildProgram(deps: CliDeps): { program: Command; exitCode: () => number } {
  const { io } = deps;
  let code: number = EXIT.ok;
  // The stage comes from the build's snapshot when the command runs pre-built and the stage validated
  // at build time (no zod, no schemas at start); otherwise from config/index.ts, which validates it.
  const context = async (stageName: string): Promise<CommandContext> => {
    const snapshot = deps.loadStage ? undefined : (await import('./cli/prebuilt.js')).prebuilt();
    if (snapshot?.stages[stageName]) {
      const { stages, names } = snapshot;
      const loadStage = (name: string) => {
        const found = stages[name];
        if (!found) throw new Error(`stage ${name} is not the one this command was started for`);
        return found;
      };
      return { io, loadStage, stageNames: () => names, prebuilt: snapshot };
    }
    const config = await import('../config/index.js');
    return { io, loadStage: deps.loadStage ?? config.loadStage, stageNames: config.stageNames };
  };
  const program = new Command('ops')
    .description(
      'Operate the ops automation: plan and replay events offline, list runbooks, read history, check a stage.',
    )
    .version(pkg.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .allowUnknownOption(false)
    .allowExcessArguments(false)
    .showSuggestionAfterError(true)
    .showHelpAfterError('Run "ops --help" for usage.')
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
      outputError: (s, write) => write(sanitise(s.trim()).replace(/^error: /, 'ops: ')),
    })
    .addHelpText(
      'after',
      '\nEvery command takes --stage NAME (default dev, or OPS_STAGE), --json where it prints data, and\n' +
        'exits 0 (ok), 1 (failure) or 2 (usage).',
    );

  const command = (name: string, summary: string, description: string) => {
    const cmd = program
      .command(name)
      .summary(summary)
      .description(description)
      .version(pkg.version, '-V, --version', 'print the version')
      .helpOption('-h, --help', 'show help')
      .allowUnknownOption(false)
      .allowExcessArguments(false)
      .addOption(new Option('--stage <name>', STAGE_HELP).env('OPS_STAGE').default('dev'))
      .showHelpAfterError(`Run "ops ${name} --help" for usage.`);
    cmd.configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
      outputError: (s, write) => write(sanitise(s.trim()).replace(/^error: /, `ops ${name}: `)),
    });
    return cmd;
  };
  const json = () => new Option('--json', 'print JSON for machines instead of the human summary');

  command('plan', 'show what the intake decides for a recorded event (offline)', PLAN_DESCRIPTION)
    .argument('<event>', 'the event file, or - for stdin')
    .addOption(json())
    .action(async (event: string, opts) => {
      const { plan } = await import('./commands/plan.js');
      code = await plan(event, opts, await context(opts.stage));
    });

  command(
    'replay',
    'replay recorded events (CloudTrail logs, EventBridge events) and summarise',
    REPLAY_DESCRIPTION,
  )
    .argument('<paths...>', 'files or directories of events (.json, .ndjson, .gz…), or - for stdin')
    .addOption(json())
    .addOption(new Option('--progress', 'show progress on stderr even when it is not a terminal'))
    .addOption(new Option('--strict', 'exit 1 when any event was unreadable or malformed'))
    .addOption(new Option('--stats', 'add elapsed time, events per second and peak memory (RSS)'))
    .action(async (paths: string[], opts) => {
      const { replay } = await import('./commands/replay.js');
      code = await replay(paths, opts, await context(opts.stage));
    });

  command('list', 'list the runbooks, their mode and what triggers each', LIST_DESCRIPTION)
    .addOption(json())
    .action(async (opts) => {
      const { list } = await import('./commands/list.js');
      code = await list(opts, await context(opts.stage));
    });

  command('history', 'the audited runs that touched a resource (needs AWS credentials)', HISTORY_DESCRIPTION)
    .argument('<resource>', 'a volume id, cluster/nodegroup, secret name, zone/record…')
    .addOption(
      new Option('--since <time>', 'only runs since this ISO-8601 time').argParser(parser(parseSince)),
    )
    .addOption(
      new Option('--limit <n>', 'at most this many runs (1–500)').argParser(parser(parseLimit)).default(20),
    )
    .addOption(json())
    .action(async (resource: string, opts) => {
      const { history } = await import('./commands/history.js');
      code = await history(resource, opts, await context(opts.stage));
    });

  command('serve', 'run the Slack endpoint locally and print each run', SERVE_DESCRIPTION)
    .addOption(
      new Option('--port <n>', 'port to listen on (0: any free port)')
        .argParser(parser(parsePort))
        .default(3000),
    )
    .addOption(new Option('--host <addr>', 'address to listen on').default('127.0.0.1'))
    .addOption(new Option('--offline', 'never use AWS, even with credentials'))
    .addOption(new Option('--json', 'print one JSON object per line for each request, message and run'))
    .action(async (opts) => {
      const { serve } = await import('./commands/serve.js');
      code = await serve(opts, await context(opts.stage));
    });

  command(
    'doctor',
    "check a deployed stage's prerequisites and say how to fix what is missing",
    DOCTOR_DESCRIPTION,
  )
    .addOption(json())
    .action(async (opts) => {
      const { doctor } = await import('./commands/doctor.js');
      code = await doctor(opts, await context(opts.stage));
    });

  return { program, exitCode: () => code };
}

const QUIET_EXITS = new Set(['commander.helpDisplayed', 'commander.version']);

/** Runs one command line; resolves to the exit code. */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const { program, exitCode } = buildProgram(deps);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode();
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help, --version and `ops help <command>` end with exit code 0; everything else is usage.
      if (QUIET_EXITS.has(err.code) || err.exitCode === 0) return EXIT.ok;
      // `ops` alone prints the help on stderr: that is a usage error too.
      return EXIT.usage;
    }
    const name =
      program.args[0] && program.commands.some((c) => c.name() === program.args[0])
        ? ` ${program.args[0]}`
        : '';
    // Messages may span lines (a stage config lists every bad field): each line is sanitised.
    const message = (err instanceof Error ? err.message : String(err)).split('\n').map(sanitise).join('\n');
    const exit = (err as { exitCode?: unknown }).exitCode;
    if (exit === EXIT.usage) {
      deps.io.err(`ops${name}: ${message}\nRun "ops${name} --help" for usage.`);
      return EXIT.usage;
    }
    deps.io.err(`ops${name}: ${message}`);
    return EXIT.failure;
  }
}
