import { approvalOutcomeBlocks } from '../approval/messages.js';
import type { ApprovalStore } from '../approval/store.js';
import type { OpsLogger } from '../shared/powertools.js';
import type { SlackApi } from '../shared/slack.js';

/** What closing a run's approvals needs: the approvals, Slack, a logger and the clock. */
export interface RunEndedDeps {
  /** Absent without AWS credentials (`ops serve` offline): nothing to close. */
  readonly approvals?: ApprovalStore;
  readonly slack: SlackApi;
  readonly logger: OpsLogger;
  readonly nowMs: () => number;
}

/**
 * A runbook execution ended (Step Functions' status-change event): any approval it still had
 * pending is closed, and its buttons replaced. This is how an approval that timed out shows
 * "Expired" without anyone clicking: the task timeout rejects the run, the run ends, this runs.
 */
export async function closeApprovalsOf(
  execution: string,
  status: string,
  deps: RunEndedDeps,
): Promise<number> {
  if (!deps.approvals) return 0;
  const now = new Date(deps.nowMs());
  let closed = 0;
  for (const id of await deps.approvals.idsOf(execution)) {
    const record = await deps.approvals.get(id);
    if (record?.status !== 'pending') continue;
    const outcome = record.expiresAt * 1000 <= now.getTime() ? 'expired' : 'closed';
    if (!(await deps.approvals.resolve(id, outcome, `execution ${status}`, now))) continue;
    closed++;
    deps.logger.info('approval closed with its run', { approvalId: id, execution, status, outcome });
    if (!record.message) continue;
    try {
      await deps.slack.update({ ...record.message, ...approvalOutcomeBlocks(record, outcome, status) });
    } catch (err) {
      deps.logger.warn('could not update the approval message', { error: (err as Error).message });
    }
  }
  return closed;
}
