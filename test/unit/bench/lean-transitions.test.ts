import { describe, expect, it } from 'vitest';
import { leanCount } from '../../bench/lean-transitions.js';
import type { AslDefinition } from '../../support/local-sfn.js';

/** The transitions bench's lean count (issue 17), on a small definition whose count is written out by hand. */
const def: AslDefinition = {
  StartAt: 'Announce',
  States: {
    Announce: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'Route' },
    Route: { Type: 'Choice', Choices: [], Default: 'Create' },
    Create: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:ec2:createSnapshot', Next: 'Read' },
    Read: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:ec2:describeSnapshots', Next: 'Done?' },
    'Done?': { Type: 'Choice', Choices: [], Default: 'Back off' },
    'Back off': { Type: 'Pass', Next: 'Wait' },
    Wait: { Type: 'Wait', Seconds: 5, Next: 'Read' },
    Each: {
      Type: 'Map',
      ItemProcessor: {
        StartAt: 'Delete',
        States: {
          Delete: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:ec2:deleteSnapshot', End: true },
        },
      },
      Next: 'Record',
    },
    Record: { Type: 'Pass', Next: 'Report' },
    Report: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'Succeeded' },
    Succeeded: { Type: 'Succeed' },
  },
};

describe('leanCount: a lean design of the run’s own steps', () => {
  it('counts tasks once, poll reads three times, a Map once, plus start and end', () => {
    const path = [
      'Announce',
      'Route',
      'Create',
      'Read',
      'Done?',
      'Back off',
      'Wait',
      'Read',
      'Done?',
      'Each',
      'Delete',
      'Delete',
      'Record',
      'Report',
      'Succeeded',
    ];
    // By hand: tasks Announce, Create, Read ×2, Delete ×2, Report = 7; the two reads (Wait leads to
    // Read) add 2 each = 4; one Map; start + end 2: 7 + 4 + 1 + 2 = 14, against 15 entered.
    expect(leanCount(def, path)).toEqual({
      lean: 14,
      tasks: 7,
      fanOuts: 1,
      pollReads: 2,
      byType: { Task: 7, Choice: 3, Pass: 2, Wait: 1, Map: 1, Succeed: 1 },
    });
  });

  it('refuses a path naming a state the definition does not hold', () => {
    expect(() => leanCount(def, ['Announce', 'Prepare run'])).toThrow(
      'the run entered Prepare run, which the definition does not hold',
    );
  });
});
