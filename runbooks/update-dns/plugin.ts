import { allowed, defineRunbook, refused } from '../plugin.js';
import { recordAllowed } from './names.js';
import { ingressReplaced } from './policy.js';
import { updateDns } from './spec.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** update-dns as a plugin: its spec, the ingress-replaced rule that starts it, its allow-list. */
export const updateDnsPlugin = defineRunbook({
  spec: updateDns,
  rules: [ingressReplaced],
  /** Only allow-listed records of allow-listed zones. */
  allowList(params, automation) {
    const zone = str(params.zoneName) ?? '';
    const record = str(params.recordName) ?? '';
    const z = automation.allowLists.hostedZones.find((h) => h.zoneName.toLowerCase() === zone.toLowerCase());
    if (!z) return refused(`hosted zone ${zone} is not allow-listed`);
    // The same rule as the workflow's step: DNS names compared normalised (case, trailing dot).
    if (!recordAllowed(z.records, record))
      return refused(`record ${record} is not allow-listed in zone ${zone}`);
    return allowed(`record ${record} in zone ${zone} is allow-listed`);
  },
  datadog: {
    parameters: { zoneName: ['zone'], recordName: ['record'], recordType: ['recordType', 'record_type'] },
    targets: ['dns-record'],
  },
});
