import { describe, expect, it } from 'vitest';
import { loadStage } from '../../../config/index.js';
import { parserFor } from '../../../events/sources/shared.js';
import { decide } from '../../../functions/intake/decide.js';
import { signalFromText } from '../../../functions/intake/plan.js';
import { RUNBOOK_PLUGINS } from '../../../runbooks/registry.js';
import { listSampleFiles, sampleText } from '../events/support.js';

/**
 * The intake checks a runbook's parameters with zod's generated parser once the schema is in steady
 * use (`parserFor`, issue 17). The oracle is the runbook's schema itself: the same success, output,
 * issues and messages on the parameters the intake decides for every recorded sample and on
 * mutations of each at every key.
 */
const ODD_VALUES: readonly unknown[] = [undefined, null, '', 'x', 0, -1, 1.5, true, [], {}, 'a'.repeat(300)];

function parameterInputs(): Map<string, unknown[]> {
  const dev = loadStage('dev');
  const byRunbook = new Map<string, unknown[]>(RUNBOOK_PLUGINS.map((p) => [p.spec.name, [{}, null, 'x']]));
  for (const file of listSampleFiles()) {
    if (!file.endsWith('.json') || file.startsWith('slack/')) continue;
    let decisions: ReturnType<typeof decide>;
    try {
      const signal = signalFromText(sampleText(file), {
        automationRolePrefix: dev.automation.automationRolePrefix,
      });
      decisions = decide(signal, { stage: dev.name, automation: dev.automation });
    } catch {
      continue;
    }
    for (const d of decisions) {
      if (!d.runbook || !d.parameters) continue;
      const list = byRunbook.get(d.runbook);
      if (!list) continue;
      list.push(d.parameters);
      for (const key of [...Object.keys(d.parameters), 'unexpected']) {
        for (const odd of ODD_VALUES) list.push({ ...d.parameters, [key]: odd });
      }
    }
  }
  return byRunbook;
}

describe('runbook parameters: the compiled parser answers as the schema does', () => {
  const inputs = parameterInputs();

  it('has decided parameters from the samples to try', () => {
    expect([...inputs.values()].reduce((n, l) => n + l.length, 0)).toBeGreaterThan(200);
  });

  it.each(RUNBOOK_PLUGINS.map((p) => [p.spec.name, p.spec.parameters] as const))('%s', (name, schema) => {
    for (let i = 0; i < 100; i++) parserFor(schema);
    const fast = parserFor(schema);
    for (const input of inputs.get(name) ?? []) {
      const want = schema.safeParse(input);
      const got = fast.safeParse(input);
      expect(got.success).toBe(want.success);
      if (want.success) expect(got.data).toStrictEqual(want.data);
      else expect(got.error?.issues).toStrictEqual(want.error.issues);
    }
  });
});
