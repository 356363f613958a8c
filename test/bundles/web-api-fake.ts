import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCert } from '../support/self-signed-cert.js';

/**
 * Slack's and Datadog's HTTPS APIs for the cold-load benchmark: a local TLS server with a throw-away
 * certificate for their host names (`slack.com`, `*.slack.com`, `*.datadoghq.eu`, `*.datadoghq.com`).
 * test/bundles/invoke.mjs sends a bundle's connections to any non-loopback host here when
 * `SMOKE_WEB_API_PORT` is set, and the bundle's process trusts the certificate through
 * `NODE_EXTRA_CA_CERTS` (Node's standard setting), so the function's own HTTP clients (Slack's
 * WebClient, Datadog's client) run unchanged and get an answer instead of a refused connection
 * (which both retry with back-off). Every request succeeds with the members each API's success
 * reply has and our code reads: Slack's `ok`, `channel`, `ts`; Datadog's `status`.
 */
export interface WebApiFake {
  readonly port: number;
  /** The certificate file to name in `NODE_EXTRA_CA_CERTS`. */
  readonly caFile: string;
  /** The server's key and certificate: the AWS stand-in serves HTTPS with the same pair (`IP:127.0.0.1`). */
  readonly tls: { readonly key: string; readonly cert: string };
  readonly requests: { host: string; path: string }[];
  close(): Promise<void>;
}

const HOSTS = ['slack.com', '*.slack.com', '*.datadoghq.eu', '*.datadoghq.com'];

export async function startWebApiFake(): Promise<WebApiFake> {
  // 127.0.0.1 too: the cold-load benchmark's AWS stand-in (AWS_ENDPOINT_URL) serves HTTPS with
  // this pair, and NODE_EXTRA_CA_CERTS names one file.
  const { key, cert } = selfSignedCert('web-api-fake', [...HOSTS.map((h) => `DNS:${h}`), 'IP:127.0.0.1']);
  // The bundle's process reads the certificate from a file (NODE_EXTRA_CA_CERTS).
  const dir = mkdtempSync(join(tmpdir(), 'web-api-fake-'));
  const caFile = join(dir, 'cert.pem');
  writeFileSync(caFile, cert);
  const requests: { host: string; path: string }[] = [];
  const server = createServer({ key, cert }, (req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push({ host: req.headers.host ?? '', path: (req.url ?? '/').split('?')[0] ?? '/' });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, channel: 'C0SMOKE01', ts: '1764000000.000100', status: 'ok' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    caFile,
    tls: { key, cert },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
