import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generated, run, tmp } from '../helpers.js';

interface AlertEv {
  type: string;
  alert?: { id: number; signature: string; target: string; severity: string };
}

let text = '';
let path = '';
beforeAll(() => {
  ({ text, path } = generated());
});

function events(stdout: string): AlertEv[] {
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AlertEv)
    .filter((e) => e.type.startsWith('alert.'));
}

/** A webhook receiver on 127.0.0.1; `answer(n)` gives the status of the n-th request (0-based). */
async function receiver(answer: (n: number) => number) {
  const bodies: AlertEv[] = [];
  const types = new Set<string>();
  let requests = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const status = answer(requests++);
      types.add(req.headers['content-type'] ?? '');
      if (status === 200) bodies.push(JSON.parse(Buffer.concat(parts).toString()) as AlertEv);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, bodies, types, requests: () => requests, close: () => new Promise((r) => server.close(r)) };
}

describe('--on-alert: a command per opened alert', () => {
  it('runs the command once per alert.open with the alert JSON on stdin and its fields in the environment', async () => {
    const d = tmp();
    const r = await run(['-q', '--no-window-events', '--on-alert', `cat > "${d}/$$.json"; echo "$FLOODSCOPE_SIGNATURE $FLOODSCOPE_TARGET" > "${d}/$$.env"`], { stdin: text });
    expect(r.code).toBe(0);
    const opened = events(r.stdout).filter((e) => e.type === 'alert.open');
    expect(opened.length).toBeGreaterThanOrEqual(3);
    const files = readdirSync(d);
    const got = files.filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(d, f), 'utf8')) as AlertEv['alert']);
    const env = files.filter((f) => f.endsWith('.env')).map((f) => readFileSync(join(d, f), 'utf8').trim());
    const key = (a: { signature: string; target: string }) => `${a.signature} ${a.target}`;
    expect(got.map((a) => key(a!)).sort()).toEqual(opened.map((e) => key(e.alert!)).sort());
    expect(env.sort()).toEqual(opened.map((e) => key(e.alert!)).sort());
  });

  it('reports a failing command and kills a slow one, without holding the analysis back', async () => {
    const fail = await run(['-q', '--no-window-events', '--on-alert', 'exit 3'], { stdin: text });
    expect(fail.code).toBe(0);
    expect(fail.stderr).toMatch(/--on-alert: "exit 3" for http\.repeated-url \/wp-login\.php exited with 3/);
    expect(fail.stdout.trim().split('\n').pop()).toMatch(/^\{"type":"report"/);

    const t0 = Date.now();
    const slow = await run(['-q', '--no-window-events', '--action-timeout', '1', '--on-alert', 'sleep 30'], { stdin: text });
    const opened = events(slow.stdout).filter((e) => e.type === 'alert.open').length;
    expect(slow.code).toBe(0);
    expect(slow.stderr.match(/ran over 1 s and was killed/g)?.length).toBe(opened);
    // Four at a time, each cut at 1 s: a pipeline that waited for each would take `opened` seconds more.
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('is refused outside live mode, with the reason', async () => {
    const r = await run(['--on-alert', 'true', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--on-alert acts on alerts as they open: use it in live mode/);
  });
});

describe('--webhook: alert events POSTed to a local receiver', () => {
  it('delivers every alert event in order, retrying after a 503', async () => {
    const rx = await receiver((n) => (n === 0 ? 503 : 200));
    const r = await run(['-q', '--no-window-events', '--webhook', rx.url], { stdin: text });
    await rx.close();
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const sent = events(r.stdout);
    expect(sent.length).toBeGreaterThan(3);
    expect(rx.bodies.map((b) => `${b.type} ${b.alert!.id}`)).toEqual(sent.map((e) => `${e.type} ${e.alert!.id}`));
    expect(rx.requests()).toBe(sent.length + 1);
    expect([...rx.types]).toEqual(['application/json']);
  });

  it('reports an event the receiver refuses (no retry on 404)', async () => {
    const rx = await receiver(() => 404);
    const r = await run(['-q', '--no-window-events', '--webhook', rx.url], { stdin: text });
    await rx.close();
    expect(r.code).toBe(0);
    const sent = events(r.stdout);
    expect(rx.requests()).toBe(sent.length);
    expect(r.stderr).toContain(`--webhook: alert.open http.repeated-url /wp-login.php not delivered to ${rx.url}: HTTP 404`);
  });

  it('rejects a URL that is not http(s)', async () => {
    const r = await run(['--webhook', 'ftp://127.0.0.1/x', '--live', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--webhook: http or https URL expected/);
  });
});
