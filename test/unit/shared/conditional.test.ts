import { ConditionalCheckFailedException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { NoSuchKey } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { isConditionalCheckFailed, isPreconditionFailed } from '../../../functions/shared/conditional.js';

const meta = { $metadata: {} };

describe('shared/conditional: the one refused-condition test', () => {
  it('recognises DynamoDB ConditionalCheckFailedException, as the SDK raises it and by name alone', () => {
    expect(
      isConditionalCheckFailed(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', ...meta }),
      ),
    ).toBe(true);
    expect(isConditionalCheckFailed({ name: 'ConditionalCheckFailedException' })).toBe(true);
  });

  it('does not take another error, or nothing, for a refused condition', () => {
    expect(isConditionalCheckFailed(new ResourceNotFoundException({ message: 'no table', ...meta }))).toBe(
      false,
    );
    expect(isConditionalCheckFailed(new Error('ConditionalCheckFailedException'))).toBe(false);
    expect(isConditionalCheckFailed({ name: 'TransactionCanceledException' })).toBe(false);
    expect(isConditionalCheckFailed(undefined)).toBe(false);
    expect(isConditionalCheckFailed(null)).toBe(false);
    expect(isConditionalCheckFailed('ConditionalCheckFailedException')).toBe(false);
  });

  it("recognises S3's 412 PreconditionFailed (an If-None-Match: * put of an existing key), not other S3 errors", () => {
    expect(isPreconditionFailed({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } })).toBe(
      true,
    );
    expect(isPreconditionFailed({ name: 'Unknown', $metadata: { httpStatusCode: 412 } })).toBe(true);
    expect(isPreconditionFailed({ name: 'PreconditionFailed' })).toBe(true);
    expect(isPreconditionFailed({ name: 'NoSuchKey' })).toBe(false);
    expect(
      isPreconditionFailed({ name: 'ConditionalRequestConflict', $metadata: { httpStatusCode: 409 } }),
    ).toBe(false);
    expect(isPreconditionFailed(new NoSuchKey({ message: 'gone', $metadata: { httpStatusCode: 404 } }))).toBe(
      false,
    );
    expect(isPreconditionFailed(undefined)).toBe(false);
  });
});
