/**
 * Datadog tags → the facts policy reads. Tags arrive as an array (EventBridge) or as `$TAGS`, a comma-separated
 * string ("monitor, runbook:<name>, cluster:prod"). Keys are matched case-insensitively, with the
 * Datadog Kubernetes integration's standard names accepted as aliases.
 */

export interface TagFacts {
  readonly runbook?: string;
  readonly cluster?: string;
  readonly nodegroup?: string;
  readonly namespace?: string;
  readonly pvc?: string;
  readonly volumeId?: string;
  readonly secretName?: string;
  readonly zone?: string;
  readonly record?: string;
  readonly recordType?: string;
}

const ALIASES: Readonly<Record<keyof TagFacts, readonly string[]>> = {
  runbook: ['runbook'],
  cluster: ['cluster', 'kube_cluster_name', 'eks_cluster_name', 'cluster_name'],
  nodegroup: ['nodegroup', 'eks_nodegroup_name', 'eks_nodegroup-name', 'node_group', 'nodegroup_name'],
  namespace: ['namespace', 'kube_namespace'],
  pvc: ['pvc', 'persistentvolumeclaim', 'kube_persistentvolumeclaim'],
  volumeId: ['volume', 'volume_id', 'volumeid'],
  secretName: ['secret', 'secret_name', 'secretname'],
  zone: ['zone', 'hosted_zone', 'zone_name'],
  record: ['record', 'record_name', 'dns_record'],
  recordType: ['record_type', 'recordtype'],
};

const ALIAS_ENTRIES = Object.entries(ALIASES);

/** Splits `$TAGS` / a tag array into trimmed, non-empty tags, keeping their order. */
export function splitTags(tags: string | readonly string[] | undefined): string[] {
  if (tags === undefined) return [];
  const list = typeof tags === 'string' ? tags.split(',') : [...tags];
  return list.map((t) => t.trim()).filter((t) => t !== '' && !/^\$[A-Z_]+$/.test(t));
}

/** `key:value` tags as a map (first value of a key wins); bare tags ("monitor") are skipped. */
export function tagMap(tags: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const tag of tags) {
    const colon = tag.indexOf(':');
    if (colon <= 0) continue;
    const key = tag.slice(0, colon).trim().toLowerCase();
    const value = tag.slice(colon + 1).trim();
    if (value !== '' && !map.has(key)) map.set(key, value);
  }
  return map;
}

/**
 * Facts from tags. `scope` (the alert's group, e.g. "cluster:prod,nodegroup:ng-a") names the group that
 * alerted in a multi-alert monitor, so its values win over the monitor-level tags.
 */
export function tagFacts(tags: readonly string[], scope?: string): TagFacts {
  const fromTags = tagMap(tags);
  const fromScope = tagMap(splitTags(scope));
  const facts: Record<string, string> = {};
  for (const [field, keys] of ALIAS_ENTRIES) {
    for (const key of keys) {
      const value = fromScope.get(key) ?? fromTags.get(key);
      if (value !== undefined) {
        facts[field] = value;
        break;
      }
    }
  }
  return facts as TagFacts;
}
