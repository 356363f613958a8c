import { autoScaling } from './autoscaling.js';
import { backupFailed } from './backup-failed.js';
import { clusterAutoscaler } from './cluster-autoscaler.js';
import { datadogMonitor } from './datadog.js';
import { detachVolume } from './detach-volume.js';
import { ingressReplaced } from './ingress-replaced.js';
import { requestedRun } from './manual.js';
import { restoreGuardrailRule } from './restore-guardrail.js';
import { schedule } from './schedule.js';
import { secretRead } from './secret-read.js';
import { securityCalls } from './security-calls.js';
import { sweepFindings } from './sweep.js';
import type { PolicyRule } from './types.js';

export * from './types.js';

/**
 * The shipped policy, in order: the first rule whose verdict is not `not-applicable` decides.
 * Security notifications come first so nothing else can swallow them.
 */
export const DEFAULT_RULES: readonly PolicyRule[] = [
  requestedRun,
  // Before security-calls: an allow-listed guardrail is put back (and still told); any other goes on to security-calls.
  restoreGuardrailRule,
  securityCalls,
  secretRead,
  detachVolume,
  ingressReplaced,
  clusterAutoscaler,
  datadogMonitor,
  autoScaling,
  backupFailed,
  schedule,
  sweepFindings,
];
