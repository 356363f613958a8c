import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadStage, STAGE_INPUTS } from '../../config/index.js';
import { MalformedEventError } from '../../events/signal.js';
import { decide } from '../../functions/intake/decide.js';
import { signalFromValue } from '../../functions/intake/plan.js';
import { runbookTargets } from '../../runbooks/registry.js';
import { speedStormTexts } from '../bench/intake-fixtures.js';

/**
 * What the intake makes of a fixed corpus of events, as a compact list of hashes: the "before" side of
 * test/unit/intake/decisions-unchanged.test.ts, which holds speed work on normalise + decide (issue 17) to
 * exactly the answers main gave. Regenerate (only for a change that MEANS to change decisions) with
 * `npx tsx test/fixtures/intake-decisions/make.ts`.
 *
 * The corpus: every file under events/samples (Slack's too: the intake refuses them, and how it refuses is
 * pinned as well), every record of the real CloudTrail corpus (test/fixtures/cloudtrail, each a bare
 * record as `ops plan` accepts it), and the intake-speed bench's generated storm. Each event is handled as
 * the intake handles it (`signalFromValue` of the parsed event and its text, with the stage's options,
 * then `decide`) for every configured stage. Its outcome is the JSON of the Signal and every Decision in
 * full (key order included), or the error's class, message and issues when the event is refused.
 */

const ROOT = join(import.meta.dirname, '../..');
const SAMPLES = join(ROOT, 'events/samples');
const CLOUDTRAIL = join(ROOT, 'test/fixtures/cloudtrail');
/** Storm events per hash: the storm is pinned in blocks, the named samples one by one. */
export const STORM_BLOCK = 100;

export interface CorpusEvent {
  readonly key: string;
  readonly text: string;
}

function jsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...jsonFiles(path));
    else if (entry.name.endsWith('.json')) out.push(path);
  }
  return out;
}

/** The named events: samples by path, CloudTrail corpus records by path and index. */
export function namedEvents(): CorpusEvent[] {
  const events: CorpusEvent[] = jsonFiles(SAMPLES).map((path) => ({
    key: `samples/${relative(SAMPLES, path)}`,
    text: readFileSync(path, 'utf8'),
  }));
  for (const path of jsonFiles(CLOUDTRAIL)) {
    const records = JSON.parse(readFileSync(path, 'utf8')) as unknown[];
    for (const [i, record] of records.entries()) {
      events.push({ key: `cloudtrail/${relative(CLOUDTRAIL, path)}#${i}`, text: JSON.stringify(record) });
    }
  }
  return events;
}

const STAGES = Object.keys(STAGE_INPUTS).map((name) => loadStage(name));

/** Everything the intake makes of one event text, for every stage, as one string. */
export function outcome(text: string): string {
  const parts: unknown[] = [];
  for (const stage of STAGES) {
    try {
      const signal = signalFromValue(JSON.parse(text), text, {
        automationRolePrefix: stage.automation.automationRolePrefix,
        runbookTargets: runbookTargets(),
      });
      parts.push({
        stage: stage.name,
        signal,
        decisions: decide(signal, { stage: stage.name, automation: stage.automation }),
      });
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      parts.push({
        stage: stage.name,
        error: err.name,
        message: err.message,
        ...(err instanceof MalformedEventError ? { source: err.source, issues: err.issues } : {}),
      });
    }
  }
  return JSON.stringify(parts);
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 20);

/** `key → hash` for the whole corpus: one per named event, one per block of STORM_BLOCK storm events. */
export function outcomeHashes(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of namedEvents()) out[e.key] = sha(outcome(e.text));
  const storm = speedStormTexts();
  for (let from = 0; from < storm.length; from += STORM_BLOCK) {
    const block = storm.slice(from, from + STORM_BLOCK).map(outcome);
    out[`storm/${from}-${from + block.length - 1}`] = sha(block.join('\n'));
  }
  return out;
}
