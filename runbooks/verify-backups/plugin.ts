import { allowed, defineRunbook } from '../plugin.js';
import { verifyBackups } from './spec.js';

/**
 * verify-backups as a plugin: started by schedules and requests only (the cross-cutting rules),
 * so it brings no rule of its own; it only reads, so its allow-list passes.
 */
export const verifyBackupsPlugin = defineRunbook({
  spec: verifyBackups,
  rules: [],
  allowList: () => allowed('verify-backups only reads (its scratch restores are its own)'),
  datadog: { parameters: {}, targets: [] },
});
