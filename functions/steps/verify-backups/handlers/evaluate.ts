import type { Evaluation } from '../../../../runbooks/verify-backups/logic.js';
import { withLogContext } from '../../../shared/powertools.js';
import { type EvaluateEvent, evaluateStep } from '../evaluate.js';

/** verify-backups "Evaluate backup": the verdict of one backup (pure rules; no clients). */
export const handler = withLogContext(
  async (event: EvaluateEvent): Promise<Evaluation> => evaluateStep(event, new Date()),
);
