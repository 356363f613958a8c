import { describe, expect, it } from 'vitest';
import { loadStage } from '../../../config/index.js';
import { planEvent } from '../../../functions/intake/plan.js';
import { listSampleFiles, sampleJson, sampleText } from '../events/support.js';

/**
 * `ops plan` (and `ops replay`) take a bare CloudTrail record, as a log file holds it, and decide exactly
 * what the intake decides for the same record delivered by EventBridge (the sample's whole event).
 */

const dev = loadStage('dev');
const CLOUDTRAIL_SAMPLES = listSampleFiles().filter((f) => f.startsWith('cloudtrail/'));

describe('planEvent: a bare CloudTrail record is planned as its delivered event', () => {
  it.each(CLOUDTRAIL_SAMPLES)('%s', (file) => {
    const { detail } = sampleJson(file) as { detail: unknown };

    const fromRecord = planEvent(JSON.stringify(detail), dev);
    const delivered = planEvent(sampleText(file), dev);

    expect(fromRecord).toEqual(delivered);
  });
});
