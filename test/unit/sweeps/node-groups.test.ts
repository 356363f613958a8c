import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { evidenceViaKubeFunction } from '../../../functions/sweeps/checks/node-groups.js';
import { modelChecked } from '../../support/sdk-model.js';

/**
 * The node-groups sweep asks the in-VPC kube function for the evidence (a synchronous Invoke, checked
 * against Lambda's API model). The function's answer and its error payload are shaped as the Lambda Node.js
 * runtime returns them: a handler error comes back with `FunctionError: "Unhandled"` and
 * `{"errorType", "errorMessage", "trace"}` in the payload, with HTTP 200.
 */
const lambdaMock = mockClient(LambdaClient);
const lambda = new LambdaClient({ region: 'eu-west-1' });
const KUBE = 'arn:aws:lambda:eu-west-1:111111111111:function:ops-dev-kube';
const SINCE = new Date('2026-12-07T09:50:00Z');
const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

beforeEach(() => lambdaMock.reset());

describe('node-groups sweep: evidence through the kube function', () => {
  it('sends the count-unschedulable-events step with the window start, and returns its counts', async () => {
    // Prepare
    const answer = {
      step: 'count-unschedulable-events',
      since: '2026-12-07T09:50:00.000Z',
      namespaces: [{ namespace: 'app', failedScheduling: 2, notTriggerScaleUp: 1, pods: 2 }],
      pods: 2,
    };
    const sent: unknown[] = [];
    lambdaMock.on(InvokeCommand).callsFake(
      modelChecked('lambda', 'Invoke', (input: { Payload: Uint8Array }) => {
        sent.push(JSON.parse(new TextDecoder().decode(input.Payload)));
        return { StatusCode: 200, Payload: encode(answer) };
      }),
    );
    // Act
    const evidence = await evidenceViaKubeFunction(lambda, KUBE, () => 'sweep-node-groups-1')(SINCE);
    // Assess
    expect(evidence).toEqual(answer);
    expect(sent).toEqual([
      {
        step: 'count-unschedulable-events',
        executionName: 'sweep-node-groups-1',
        since: '2026-12-07T09:50:00.000Z',
      },
    ]);
    expect(lambdaMock.commandCalls(InvokeCommand)[0]?.args[0].input).toMatchObject({
      FunctionName: KUBE,
      InvocationType: 'RequestResponse',
    });
  });

  it("a refusal inside the kube function fails the check with the function's error type and message", async () => {
    // Prepare
    lambdaMock.on(InvokeCommand).callsFake(
      modelChecked('lambda', 'Invoke', () => ({
        StatusCode: 200,
        FunctionError: 'Unhandled',
        Payload: encode({
          errorType: 'KubeApiRefused',
          errorMessage:
            'GET /api/v1/namespaces/app/events?fieldSelector=reason%3DFailedScheduling&limit=250 → 403 Forbidden: events is forbidden',
          trace: [],
        }),
      })),
    );
    // Act / Assess
    await expect(evidenceViaKubeFunction(lambda, KUBE, () => 'x')(SINCE)).rejects.toThrow(
      /^kube function Unhandled: KubeApiRefused: GET \/api\/v1\/namespaces\/app\/events.*403 Forbidden/,
    );
  });

  it('an answer that is not evidence (another step, no counts) is refused, never read as "no pods"', async () => {
    // Prepare
    lambdaMock.on(InvokeCommand).callsFake(
      modelChecked('lambda', 'Invoke', () => ({
        StatusCode: 200,
        Payload: encode({ step: 'get-autoscaler-status' }),
      })),
    );
    // Act / Assess
    await expect(evidenceViaKubeFunction(lambda, KUBE, () => 'x')(SINCE)).rejects.toThrow(
      /something else than evidence/,
    );
  });
});
