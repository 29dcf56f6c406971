import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BIN, generated, run } from '../helpers.js';

async function until<T>(get: () => Promise<T | null> | T | null, ms: number, what: string): Promise<T> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const v = await get();
    if (v !== null) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function metric(text: string, name: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? null : Number(line.slice(name.length + 1));
}

describe('--metrics: Prometheus metrics of a live run', () => {
  it('serves lines in, parse errors, lag and open alerts by signature on 127.0.0.1 while the pipe is open', async () => {
    const { text } = generated();
    const lines = text.split('\n').slice(0, 14_000);
    lines[10] = 'this is not a log line';
    const child = spawn(BIN, ['--no-window-events', '--metrics', '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    let out = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exit = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    const url = await until(() => /metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(err)?.[1] ?? null, 10_000, 'the metrics URL on stderr');
    child.stdin.write(lines.join('\n') + '\n');
    const scrape = async () => (await fetch(url)).text();
    const body = await until(async () => {
      const t = await scrape();
      return metric(t, 'floodscope_lines_total') === 14_000 && metric(t, 'floodscope_open_alerts{signature="http.repeated-url"}') === 1 ? t : null;
    }, 20_000, 'all lines counted and the flood alert open');
    expect(metric(body, 'floodscope_parse_errors_total')).toBe(1);
    expect(metric(body, 'floodscope_alerts_opened_total{signature="http.repeated-url"}')).toBe(1);
    expect(metric(body, 'floodscope_packets_total')).toBe(0);
    expect(metric(body, 'floodscope_shed_lines_total')).toBe(0);
    expect(metric(body, 'floodscope_chunks_in_flight')).toBe(0);
    // Not silent: lines came within the last window (1 after log.silent, 0 again at log.resumed).
    expect(metric(body, 'floodscope_log_silent')).toBe(0);
    // The sample's event time is in 2025: the lag is the distance to now.
    expect(metric(body, 'floodscope_event_time_lag_seconds')).toBeGreaterThan(86_400);
    expect(body).toMatch(/^floodscope_process_resident_memory_bytes \d+/m);
    expect((await fetch(url.replace('/metrics', '/'))).status).toBe(404);
    expect(out).toContain('"type":"alert.open"');
    child.kill('SIGINT');
    expect(await exit).toBe(0);
  });

  it('rejects a bad address, and names the one it cannot listen on', async () => {
    const bad = await run(['--metrics', 'localhost:99999', '--live'], { stdin: '' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--metrics: expected PORT or ADDR:PORT/);
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as AddressInfo).port;
    const taken = await run(['--metrics', `127.0.0.1:${port}`, '--live'], { stdin: '' });
    await new Promise((r) => holder.close(r));
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain(`--metrics: cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
  });
});
