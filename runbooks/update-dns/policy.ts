import {
  eventName,
  fact,
  ignore,
  NOT_APPLICABLE,
  notify,
  type PolicyRule,
  runReason,
  start,
} from '../policy.js';

/**
 * The ingress network load balancer was replaced (CreateLoadBalancer of a network load balancer
 * whose name starts with `ingressLoadBalancerPrefix`) → update-dns for every configured ingress record.
 * Its deletion alone is only announced: the records keep pointing at it until the replacement exists.
 */
export const ingressReplaced: PolicyRule = {
  name: 'ingress-replaced',
  description:
    'CreateLoadBalancer of the ingress NLB (name prefix from config) → update-dns for each ingress record',
  evaluate(signal, ctx) {
    const name = eventName(signal);
    if (name !== 'CreateLoadBalancer' && name !== 'DeleteLoadBalancer') return NOT_APPLICABLE;
    const lbName =
      fact(signal, 'loadBalancerName', 'name') ?? signal.resource.attributes.name ?? signal.resource.id;
    const prefix = ctx.automation.ingressLoadBalancerPrefix;
    const shortName = lbName.includes('loadbalancer/') ? (lbName.split('/')[2] ?? lbName) : lbName;
    if (!shortName.startsWith(prefix)) return NOT_APPLICABLE;
    if (fact(signal, 'errorCode')) return ignore(`the call failed (${fact(signal, 'errorCode')})`);
    const type = fact(signal, 'loadBalancerType', 'type');
    if (type !== undefined && type !== 'network') return NOT_APPLICABLE;
    if (name === 'DeleteLoadBalancer') {
      return notify(
        'warning',
        `ingress load balancer ${shortName} was deleted; DNS is re-pointed when it is replaced`,
      );
    }
    if (ctx.automation.ingressRecords.length === 0) {
      return notify(
        'warning',
        `ingress load balancer ${shortName} was replaced, but no ingressRecords are configured`,
      );
    }
    const dnsName = fact(signal, 'dnsName', 'loadBalancerDnsName');
    return ctx.automation.ingressRecords.map((r) =>
      start(
        'update-dns',
        {
          zoneName: r.zoneName,
          recordName: r.recordName,
          change: 'alias',
          ...(dnsName ? { loadBalancerDnsName: dnsName } : {}),
          reason: runReason(`ingress load balancer replaced by ${shortName}`),
        },
        `ingress load balancer replaced by ${shortName}: re-point ${r.recordName}`,
      ),
    );
  },
};
