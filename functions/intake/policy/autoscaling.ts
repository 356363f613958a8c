import { ignore, NOT_APPLICABLE, notify, type PolicyRule } from './types.js';

/** EC2 Auto Scaling: an unsuccessful launch or terminate is worth a warning; the rest is routine. */
export const autoScaling: PolicyRule = {
  name: 'auto-scaling',
  description: 'EC2 Auto Scaling unsuccessful launch / terminate → notify; successful ones → ignore',
  evaluate(signal) {
    if (signal.source !== 'autoscaling') return NOT_APPLICABLE;
    if (/unsuccessful|failed/.test(signal.kind)) return notify('warning', `Auto Scaling: ${signal.summary}`);
    return ignore(`Auto Scaling ${signal.kind} is routine`);
  },
};
