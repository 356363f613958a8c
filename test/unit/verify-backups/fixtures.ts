import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BackupItem, RecoveryPoint, VerifySettings } from '../../../runbooks/verify-backups/logic.js';

/** Shared test data for verify-backups: settings, recovery points, and a local Slack + Datadog server. */

export const KEY_ARN = 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
export const OTHER_KEY_ARN = 'arn:aws:kms:eu-west-1:111111111111:key/99999999-0000-0000-0000-000000000000';
export const HOUR = 3_600_000;
export const NOW = Date.parse('2026-11-22T06:00:00Z');

export const SETTINGS: VerifySettings = {
  stage: 'test',
  expectedKeyArn: KEY_ARN,
  expectedKeyAlias: 'alias/test-data',
  drRegion: 'eu-central-1',
  clockSkewMinutes: 5,
  classes: {
    ebs: { rpoHours: 26, minRecoveryPoints: 1, maxRecoveryPoints: 60, drCopyRequired: true },
    rds: { rpoHours: 26, minRecoveryPoints: 1, maxRecoveryPoints: 60, drCopyRequired: true },
    velero: { rpoHours: 26, minRecoveryPoints: 1, maxRecoveryPoints: 120, drCopyRequired: false },
  },
};

export function point(overrides: Partial<RecoveryPoint> = {}, ageHours = 2, now = NOW): RecoveryPoint {
  return {
    id: 'snap-0123456789abcdef0',
    createdAt: new Date(now - ageHours * HOUR).toISOString(),
    state: 'completed',
    rawState: 'completed',
    encrypted: true,
    kmsKeyId: KEY_ARN,
    sizeGiB: 20,
    ...overrides,
  };
}

export function ebsItem(overrides: Partial<BackupItem> = {}, now = NOW): BackupItem {
  const p = point({}, 2, now);
  return {
    class: 'ebs',
    resource: 'vol-0aaaaaaaaaaaaaaa1',
    recoveryPoints: 7,
    newest: p,
    latestCompleted: p,
    drCopy: point({ id: 'snap-0dddddddddddddddd', region: 'eu-central-1' }, 1, now),
    ...overrides,
  };
}

export interface Captured {
  readonly path: string;
  readonly body: unknown;
  readonly headers: IncomingMessage['headers'];
}

/** A local stand-in for the Slack Web API and the Datadog API, over real HTTP on 127.0.0.1. */
export interface FakeChatOps {
  readonly url: string;
  readonly requests: Captured[];
  slackDown: boolean;
  close(): Promise<void>;
}

export async function startFakeChatOps(): Promise<FakeChatOps> {
  const requests: Captured[] = [];
  const state = { slackDown: false };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        body = Object.fromEntries(new URLSearchParams(raw));
      }
      const path = req.url ?? '';
      requests.push({ path, body, headers: req.headers });
      res.setHeader('content-type', 'application/json');
      if (path.startsWith('/api/chat.')) {
        if (state.slackDown) {
          res.statusCode = 503;
          res.end('{"ok":false,"error":"service_unavailable"}');
          return;
        }
        res.end(JSON.stringify({ ok: true, channel: 'C0TEST00001', ts: '1763791200.000100' }));
        return;
      }
      if (path.startsWith('/api/v1/series') || path.startsWith('/api/v2/series')) {
        res.statusCode = 202;
        res.end('{"status":"ok","errors":[]}');
        return;
      }
      if (path.startsWith('/api/v1/events')) {
        res.statusCode = 202;
        res.end('{"status":"ok","event":{"id":1,"id_str":"1"}}');
        return;
      }
      res.statusCode = 404;
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get slackDown() {
      return state.slackDown;
    },
    set slackDown(v: boolean) {
      state.slackDown = v;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The metrics a fake Datadog received, as `[metric, value, tags]`, whichever series API the client used. */
export function receivedMetrics(chat: FakeChatOps): [string, number, string[]][] {
  const out: [string, number, string[]][] = [];
  for (const r of chat.requests) {
    if (!/^\/api\/v[12]\/series/.test(r.path)) continue;
    const body = r.body as { series: { metric: string; points: unknown[]; tags?: string[] }[] };
    for (const m of body.series) {
      const p = m.points[0] as [number, number] | { value: number } | undefined;
      out.push([m.metric, Array.isArray(p) ? p[1] : (p?.value ?? Number.NaN), m.tags ?? []]);
    }
  }
  return out;
}
