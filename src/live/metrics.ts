/**
 * `--metrics [ADDR:]PORT`: Prometheus metrics over HTTP (prom-client), on 127.0.0.1 unless an
 * address is given. Fed by the pipeline's progress and live events; scraping never touches
 * the pipeline (the values are plain numbers read at scrape time).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { LiveEvent, Progress } from '../pipeline/analyze.js';
import { InputError } from '../sources/errors.js';

export function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:]+):)?(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new InputError('FS_BAD_OPTION', '', `--metrics: expected PORT or ADDR:PORT (like 9464 or 127.0.0.1:9464); got ${JSON.stringify(s)}`);
  return { host: m[1] !== undefined ? m[1].replace(/^\[|\]$/g, '') : '127.0.0.1', port };
}

export class Metrics {
  readonly registry = new Registry();
  private readonly lines: Counter;
  private readonly packets: Counter;
  private readonly errors: Counter;
  private readonly shed: Counter;
  private readonly opened: Counter<'signature'>;
  private readonly open: Gauge<'signature'>;
  private readonly inFlight: Gauge;
  private readonly lag: Gauge;
  private readonly silent: Gauge;
  private readonly openBySignature = new Map<string, number>();
  private seen = { lines: 0, packets: 0, malformed: 0, shed: 0 };
  private server: Server | null = null;

  constructor() {
    const registers = [this.registry];
    this.lines = new Counter({ name: 'floodscope_lines_total', help: 'Log lines read (parsed or not)', registers });
    this.packets = new Counter({ name: 'floodscope_packets_total', help: 'Capture packets read', registers });
    this.errors = new Counter({ name: 'floodscope_parse_errors_total', help: 'Malformed log lines (skipped, counted, sampled in the report)', registers });
    this.shed = new Counter({ name: 'floodscope_shed_lines_total', help: 'Lines skipped under overload (--shed)', registers });
    this.inFlight = new Gauge({ name: 'floodscope_chunks_in_flight', help: 'Chunks handed to the worker pool and not yet merged', registers });
    this.lag = new Gauge({ name: 'floodscope_event_time_lag_seconds', help: 'Wall time minus the event time of the last closed window', registers });
    this.silent = new Gauge({ name: 'floodscope_log_silent', help: '1 while nothing is logged for a window or more after a rate that makes it improbable (the server down, or not logging)', registers });
    this.open = new Gauge({ name: 'floodscope_open_alerts', help: 'Alerts open now, by signature', labelNames: ['signature'], registers });
    this.opened = new Counter({ name: 'floodscope_alerts_opened_total', help: 'Alerts opened, by signature', labelNames: ['signature'], registers });
    collectDefaultMetrics({ register: this.registry, prefix: 'floodscope_' });
  }

  progress(p: Progress): void {
    if (p.unit === 'packets') {
      this.packets.inc(p.lines - this.seen.packets);
      this.seen.packets = p.lines;
    } else {
      this.lines.inc(p.lines - this.seen.lines);
      this.seen.lines = p.lines;
    }
    if (p.malformed !== undefined && p.malformed > this.seen.malformed) {
      this.errors.inc(p.malformed - this.seen.malformed);
      this.seen.malformed = p.malformed;
    }
    if (p.shedLines !== undefined && p.shedLines > this.seen.shed) {
      this.shed.inc(p.shedLines - this.seen.shed);
      this.seen.shed = p.shedLines;
    }
    if (p.inFlight !== undefined) this.inFlight.set(p.inFlight);
  }

  event(e: LiveEvent): void {
    if (e.type === 'window') {
      this.lag.set(e.lagSeconds);
      return;
    }
    if (e.type === 'log.silent' || e.type === 'log.resumed') {
      this.silent.set(e.type === 'log.silent' ? 1 : 0);
      return;
    }
    const sig = e.alert.signature;
    if (e.type === 'alert.open') {
      this.opened.inc({ signature: sig });
      this.openBySignature.set(sig, (this.openBySignature.get(sig) ?? 0) + 1);
    } else if (e.type === 'alert.close') {
      this.openBySignature.set(sig, Math.max(0, (this.openBySignature.get(sig) ?? 0) - 1));
    } else return;
    this.open.set({ signature: sig }, this.openBySignature.get(sig)!);
  }

  /** Start serving GET /metrics; resolves to the URL (with the port chosen when 0 was asked). */
  async listen(host: string, port: number): Promise<string> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('floodscope: metrics are at /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
      );
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new InputError('FS_BAD_OPTION', '', `--metrics: cannot listen on ${host}:${port}: ${err.code ?? err.message}`)));
      server.listen(port, host, () => resolve());
    });
    server.unref();
    const a = server.address() as AddressInfo;
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/metrics`;
  }

  close(): Promise<void> {
    const server = this.server;
    if (server === null) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
