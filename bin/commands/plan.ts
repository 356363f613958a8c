import { readFileSync } from 'node:fs';
import { ConfigError, loadStage } from '../../config/index.js';
import { MalformedEventError, UnrecognisedEventError } from '../../events/signal.js';
import { PlanInputError, planEvent } from '../../functions/intake/plan.js';

const USAGE = `usage: ops plan <event.json> [--stage NAME]

Reads one raw event exactly as delivered (an EventBridge event, or a Datadog webhook body),
runs the intake's policy and static guards for the stage (default: dev), and prints
{ "signal": …, "decision": … } as JSON. Offline: no AWS credentials, no guard store.
Exit 0 for any decision; 1 for unreadable or unrecognised input; 2 for a usage error.`;

/** `ops plan`: what the intake would decide for a recorded event, before a policy change is deployed. */
export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let stageName = 'dev';
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--stage') {
      const value = args[++i];
      if (!value) {
        console.error('ops plan: --stage needs a stage name');
        return 2;
      }
      stageName = value;
    } else if (arg.startsWith('--stage=')) {
      stageName = arg.slice('--stage='.length);
    } else if (arg.startsWith('-')) {
      console.error(`ops plan: unknown option ${arg}\n\n${USAGE}`);
      return 2;
    } else {
      files.push(arg);
    }
  }
  if (files.length !== 1) {
    console.error(`ops plan: give exactly one event file\n\n${USAGE}`);
    return 2;
  }
  const file = files[0] as string;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    console.error(`ops plan: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  try {
    const stage = loadStage(stageName);
    console.log(JSON.stringify(planEvent(text, stage), null, 2));
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`ops plan: ${err.message.split('\n')[0]}`);
      return 2;
    }
    if (err instanceof UnrecognisedEventError) {
      console.error(`ops plan: ${file}: unrecognised event: ${oneLine(err.message)}`);
      return 1;
    }
    if (err instanceof MalformedEventError) {
      console.error(`ops plan: ${file}: malformed ${err.source} event: ${oneLine(err.message)}`);
      return 1;
    }
    if (err instanceof PlanInputError) {
      console.error(`ops plan: ${file}: ${oneLine(err.message)}`);
      return 1;
    }
    throw err;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
