import { withLogContext } from '../../../../functions/shared/powertools.js';
import type { Evaluation } from '../../logic.js';
import { type EvaluateEvent, evaluateStep } from '../evaluate.js';

/** verify-backups "Evaluate backup": the verdict of one backup (pure rules; no clients). */
export const handler = withLogContext(
  async (event: EvaluateEvent): Promise<Evaluation> => evaluateStep(event, new Date()),
);
