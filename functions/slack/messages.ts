import { RUNBOOKS } from '../../runbooks/registry.js';
import type { RunbookSpec } from '../../runbooks/types.js';
import { usageOf } from './command.js';

/** What the endpoint and the worker say in Slack. Plain mrkdwn text: short, one idea per line. */

export function helpText(stage: string): string {
  return [
    `*Ops automation* for *${stage}*:`,
    '• `/ops list`: the runbooks and what triggers them',
    '• `/ops plan <runbook> key=value…`: what would happen, nothing changes',
    '• `/ops run <runbook> key=value… [--dry-run]`: start a run (approval runbooks wait for an approver)',
    '• `/ops status <execution>`: where a run is',
    '• `/ops revert <execution>`: undo a finished run of a revertible runbook',
    '• `/ops help`: this text',
    'Values with spaces go in quotes: `reason="disk filling up"`.',
  ].join('\n');
}

export function listText(stage: string, modeOf: (spec: RunbookSpec) => string): string {
  const lines = RUNBOOKS.map((r) => {
    const spec = r as unknown as RunbookSpec;
    const tags = [modeOf(spec), spec.mutating ? 'mutating' : 'read-only', spec.revertible ? 'revertible' : '']
      .filter(Boolean)
      .join(', ');
    return `• \`${spec.name}\` (${tags}): ${spec.summary}\n   ${usageOf(spec)}`;
  });
  return [`*Runbooks in ${stage}*`, ...lines].join('\n');
}

export const ackText = {
  run: (runbook: string, dryRun: boolean) =>
    `:hourglass_flowing_sand: Checking and starting \`${runbook}\`${dryRun ? ' (dry run)' : ''}…`,
  plan: (runbook: string) => `:mag: Planning \`${runbook}\`…`,
  status: (execution: string) => `:mag: Looking up \`${execution}\`…`,
  revert: (execution: string) => `:leftwards_arrow_with_hook: Preparing the revert of \`${execution}\`…`,
  busy: ':warning: Could not hand the request over to the worker. Nothing was started; please try again.',
};
