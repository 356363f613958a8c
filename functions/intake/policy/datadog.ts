import { NOTIFY_ONLY } from '../../../config/datadog-monitors.js';
import type { Signal } from '../../../events/signal.js';
import { findPlugin } from '../../../runbooks/registry.js';
import {
  fact,
  facts,
  ignore,
  NOT_APPLICABLE,
  notify,
  type PolicyRule,
  reject,
  runReason,
  start,
} from './types.js';

/** Tags as `key → value` (first value wins; keys lower-cased; `key` without a value maps to ''). */
export function tagMap(tags: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const tag of tags) {
    const i = tag.indexOf(':');
    const key = (i < 0 ? tag : tag.slice(0, i)).trim().toLowerCase();
    const value = i < 0 ? '' : tag.slice(i + 1).trim();
    if (key && !map.has(key)) map.set(key, value);
  }
  return map;
}

/** The monitor transition, compared loosely: "Re-Triggered", "re_triggered" and "Retriggered" are one. */
function transitionOf(signal: Signal): { label: string; key: string } {
  const label = fact(signal, 'transition', 'alertTransition') ?? signal.kind.split('.')[1] ?? 'unknown';
  return { label, key: label.toLowerCase().replace(/[^a-z]/g, '') };
}

/**
 * Datadog monitors: Triggered / Re-Triggered with a `runbook:<name>` tag → that runbook, its
 * parameters read from the alert's tags as the runbook's plugin maps them (`datadog.parameters`); `runbook:notify-only` or no runbook tag → notify; Recovered → ignore (the run it
 * started, if any, finishes on its own); Warn / No Data → notify.
 */
export const datadogMonitor: PolicyRule = {
  name: 'datadog-monitor',
  description:
    'Triggered / Re-Triggered with runbook:<name> → that runbook (parameters from tags); else notify; Recovered → ignore',
  evaluate(signal, ctx) {
    if (signal.source !== 'datadog') return NOT_APPLICABLE;
    const { label: transition, key } = transitionOf(signal);
    const monitor = fact(signal, 'monitorId') ?? signal.resource.id;
    if (key === 'recovered' || key === 'monitorrecovered')
      return ignore(`Datadog monitor ${monitor} recovered`);
    if (key !== 'triggered' && key !== 'retriggered') {
      return notify(signal.severity, `Datadog monitor ${monitor}: ${transition}`);
    }
    const tags = tagMap(facts(signal, 'tags'));
    const runbook = signal.resource.attributes.runbook ?? tags.get('runbook');
    if (!runbook)
      return notify(signal.severity, `Datadog monitor ${monitor} ${transition} with no runbook tag`);
    if (runbook.toLowerCase() === NOTIFY_ONLY)
      return notify(signal.severity, `Datadog monitor ${monitor} ${transition} (runbook:${NOTIFY_ONLY})`);
    const plugin = ctx.runbooks ? ctx.runbooks.find((p) => p.spec.name === runbook) : findPlugin(runbook);
    const mapping = plugin?.datadog?.parameters;
    if (!mapping) return reject(`Datadog monitor ${monitor} names unknown runbook "${runbook}"`);
    const parameters: Record<string, unknown> = {
      reason: runReason(`Datadog monitor ${monitor} ${transition}: ${signal.summary}`),
    };
    for (const [param, keys] of Object.entries(mapping)) {
      const value = keys
        .map((k) => signal.resource.attributes[k] ?? tags.get(k.toLowerCase()))
        .find((v) => v !== undefined && v !== '');
      if (value !== undefined) parameters[param] = value;
    }
    return start(
      runbook,
      parameters,
      `Datadog monitor ${monitor} ${transition} and names runbook ${runbook}`,
    );
  },
};
