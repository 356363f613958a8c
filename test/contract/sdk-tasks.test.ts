import { describe, expect, it } from 'vitest';
import { definitionProblems, pathsIn } from '../support/asl-contract.js';
import { sdkTarget, serviceModel } from '../support/aws-model.js';
import { allStateMachines } from '../support/contract-synth.js';
import { type AslDefinition, allStates } from '../support/local-sfn.js';

/**
 * Contract: every SDK-integration task of every state machine, in every stage as synthesised,
 * against AWS's own API model of its action (botocore's C2J models) with Step Functions' naming.
 */
const machines = allStateMachines();
const sdkTasks = machines.flatMap((m) =>
  allStates(m.asl)
    .filter(([, s]) => s.Type === 'Task' && sdkTarget(s.Resource))
    .map(([name, s]) => ({
      machine: m.path,
      name,
      target: sdkTarget(s.Resource) as { service: string; action: string },
    })),
);

describe('contract: SDK-integration tasks in the synthesised templates', () => {
  it('finds the runbooks and their SDK tasks in every stage', () => {
    expect(new Set(machines.map((m) => m.stage)).size).toBeGreaterThanOrEqual(3);
    expect(sdkTasks.length).toBeGreaterThan(50);
  });

  it('has an AWS model for every service the workflows call', () => {
    const services = [...new Set(sdkTasks.map((t) => t.target.service))].sort();
    const missing = services.filter((s) => {
      try {
        serviceModel(s);
        return false;
      } catch {
        return true;
      }
    });
    expect(missing).toEqual([]);
  });

  it.each(machines.map((m) => [m.path, m.asl] as const))(
    '%s: parameters and result reads fit the model',
    (_path, asl) => {
      expect(definitionProblems(asl)).toEqual([]);
    },
  );
});

describe('contract: the check itself catches a misnamed parameter or result field', () => {
  const updateDns = machines.find((m) => m.path.includes('UpdateDns'))?.asl as AslDefinition;
  const copy = () => JSON.parse(JSON.stringify(updateDns)) as AslDefinition;
  const state = (asl: AslDefinition, name: string) =>
    allStates(asl).find(([n]) => n === name)?.[1] as Record<string, unknown>;

  it('update-dns as built passes', () => {
    expect(definitionProblems(updateDns)).toEqual([]);
  });

  it('Route 53 HostedZoneId renamed HostedZone fails', () => {
    const asl = copy();
    const change = state(asl, 'Change record sets');
    const { 'HostedZoneId.$': zone, ...rest } = change.Parameters as Record<string, unknown>;
    change.Parameters = { 'HostedZone.$': zone, ...rest };
    expect(definitionProblems(asl).join('\n')).toContain(
      'HostedZone: not a member of ChangeResourceRecordSetsRequest',
    );
  });

  it('a result field the action does not return fails', () => {
    const asl = copy();
    state(asl, 'Read change status').ResultSelector = { 'status.$': '$.ChangeInfo.State' };
    expect(definitionProblems(asl).join('\n')).toContain('$.ChangeInfo.State is not a member of ChangeInfo');
  });

  it('reads context paths apart from result paths', () => {
    expect(pathsIn("States.Format('{}/{}', $$.Execution.Name, $.item.latestCompleted.id)")).toEqual([
      '$.item.latestCompleted.id',
    ]);
    expect(pathsIn('States.JsonToString($.VersionIdsToStages)')).toEqual(['$.VersionIdsToStages']);
  });
});
