import { withLogContext } from '../../../../functions/shared/powertools.js';
import { type BuildReportEvent, type BuiltReport, buildReportStep } from '../build-report.js';

/** verify-backups "Build report": the table, its renderings and the failure signals (pure). */
export const handler = withLogContext(
  async (event: BuildReportEvent): Promise<BuiltReport> => buildReportStep(event, new Date()),
);
