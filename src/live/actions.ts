/**
 * Acting on live alerts: `--on-alert CMD` and `--webhook URL`.
 *
 * Neither may hold the pipeline back: `event()` only queues; commands run at most
 * MAX_RUNNING at a time, webhook posts one at a time (so a receiver sees events in order),
 * each queue is bounded (overflow is dropped and counted) and every run or attempt has a
 * time limit. Failures are reported through `warn`, never thrown.
 */
import { spawn } from 'node:child_process';
import type { AttackReport } from '../report/report.js';
import type { PacketAttackReport } from '../report/packet-report.js';
import { VERSION } from '../version.js';

export interface AlertEvent {
  type: 'alert.open' | 'alert.update' | 'alert.close';
  alert: AttackReport | PacketAttackReport;
}

export interface ActionOptions {
  /** Shell command run (by /bin/sh -c) once per opened alert, the alert JSON on its stdin. */
  onAlert?: string;
  /** URL that receives every alert event as a JSON POST. */
  webhook?: string;
  /** Time limit of one command run or one POST attempt (ms). */
  timeoutMs: number;
  /** Webhook attempts per event (first try included). */
  attempts?: number;
  /** Delay before the first retry (ms); doubled each time. */
  retryMs?: number;
  warn: (msg: string) => void;
}

export interface ActionStats {
  commands: { run: number; failed: number; timedOut: number; dropped: number };
  webhook: { sent: number; retried: number; failed: number; dropped: number };
}

const MAX_RUNNING = 4;
const MAX_QUEUED = 256;

export class AlertActions {
  readonly stats: ActionStats = {
    commands: { run: 0, failed: 0, timedOut: 0, dropped: 0 },
    webhook: { sent: 0, retried: 0, failed: 0, dropped: 0 },
  };
  private readonly commands: AlertEvent[] = [];
  private running = 0;
  private readonly posts: AlertEvent[] = [];
  private posting = false;
  private readonly idle = new Set<() => void>();

  constructor(private readonly o: ActionOptions) {}

  event(e: AlertEvent): void {
    if (this.o.onAlert !== undefined && e.type === 'alert.open') {
      if (this.commands.length >= MAX_QUEUED) {
        this.stats.commands.dropped++;
        this.o.warn(`--on-alert: ${MAX_QUEUED} runs waiting; not run for ${label(e.alert)}`);
      } else {
        this.commands.push(e);
        this.pumpCommands();
      }
    }
    if (this.o.webhook !== undefined) {
      if (this.posts.length >= MAX_QUEUED) {
        this.stats.webhook.dropped++;
        this.o.warn(`--webhook: ${MAX_QUEUED} events waiting; dropped ${e.type} ${label(e.alert)}`);
      } else {
        this.posts.push(e);
        void this.pumpPosts();
      }
    }
  }

  /** Wait until everything queued is done, or `ms` passed; returns whether all was done. */
  async drain(ms: number): Promise<boolean> {
    if (this.busy()) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(finish, ms);
        const idle = this.idle;
        function finish() {
          clearTimeout(t);
          idle.delete(finish);
          resolve();
        }
        idle.add(finish);
      });
    }
    const left = this.commands.length + this.running + this.posts.length + (this.posting ? 1 : 0);
    if (left > 0) this.o.warn(`alert actions: ${left} not finished at exit`);
    return left === 0;
  }

  private busy(): boolean {
    return this.running > 0 || this.commands.length > 0 || this.posting || this.posts.length > 0;
  }

  private settled(): void {
    if (!this.busy()) for (const f of [...this.idle]) f();
  }

  private pumpCommands(): void {
    while (this.running < MAX_RUNNING && this.commands.length > 0) {
      const e = this.commands.shift()!;
      this.running++;
      this.stats.commands.run++;
      void this.runCommand(this.o.onAlert!, e).then(() => {
        this.running--;
        this.pumpCommands();
        this.settled();
      });
    }
  }

  private runCommand(cmd: string, e: AlertEvent): Promise<void> {
    return new Promise((resolve) => {
      // The command's output goes to stderr: stdout carries floodscope's NDJSON events.
      const child = spawn('/bin/sh', ['-c', cmd], {
        stdio: ['pipe', 2, 2],
        // Its own process group, so a time-out kills what it started too (a `sleep` left
        // behind would hold our stderr open).
        detached: true,
        env: {
          ...process.env,
          FLOODSCOPE_SIGNATURE: e.alert.signature,
          FLOODSCOPE_TARGET: e.alert.target,
          FLOODSCOPE_SEVERITY: e.alert.severity,
          FLOODSCOPE_START: e.alert.start,
          // The same signature on the same target again: the first alert's id ('' for a first).
          FLOODSCOPE_EPISODE_OF: e.alert.episodeOf === undefined ? '' : String(e.alert.episodeOf),
        },
      });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }, this.o.timeoutMs);
      child.stdin!.on('error', () => {}); // a command that does not read its stdin is fine
      child.stdin!.end(`${JSON.stringify(e.alert)}\n`);
      child.on('error', (err) => {
        clearTimeout(timer);
        this.stats.commands.failed++;
        this.o.warn(`--on-alert: could not run ${JSON.stringify(cmd)} for ${label(e.alert)}: ${err.message}`);
        resolve();
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (timedOut) {
          this.stats.commands.timedOut++;
          this.o.warn(`--on-alert: ${JSON.stringify(cmd)} for ${label(e.alert)} ran over ${this.o.timeoutMs / 1000} s and was killed`);
        } else if (code !== 0) {
          this.stats.commands.failed++;
          this.o.warn(`--on-alert: ${JSON.stringify(cmd)} for ${label(e.alert)} ${signal !== null ? `was killed by ${signal}` : `exited with ${code}`}`);
        }
        resolve();
      });
    });
  }

  private async pumpPosts(): Promise<void> {
    if (this.posting) return;
    this.posting = true;
    while (this.posts.length > 0) {
      const e = this.posts.shift()!;
      await this.post(this.o.webhook!, e);
    }
    this.posting = false;
    this.settled();
  }

  private async post(url: string, e: AlertEvent): Promise<void> {
    const attempts = this.o.attempts ?? 4;
    let delay = this.o.retryMs ?? 500;
    let why = '';
    for (let i = 0; i < attempts; i++) {
      if (i > 0) {
        this.stats.webhook.retried++;
        await new Promise((r) => setTimeout(r, delay));
        delay *= 2;
      }
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': `floodscope/${VERSION}` },
          body: JSON.stringify(e),
          signal: AbortSignal.timeout(this.o.timeoutMs),
        });
        await res.arrayBuffer().catch(() => null);
        if (res.ok) {
          this.stats.webhook.sent++;
          return;
        }
        why = `HTTP ${res.status}`;
        // A client error other than 408/429 will not change by retrying.
        if (res.status < 500 && res.status !== 408 && res.status !== 429) break;
      } catch (err) {
        const c = (err as Error & { cause?: { code?: string } }).cause;
        why = (err as Error).name === 'TimeoutError' ? `no answer within ${this.o.timeoutMs / 1000} s` : (c?.code ?? (err as Error).message);
      }
    }
    this.stats.webhook.failed++;
    this.o.warn(`--webhook: ${e.type} ${label(e.alert)} not delivered to ${url}: ${why}`);
  }
}

function label(a: AttackReport | PacketAttackReport): string {
  return `${a.signature} ${a.target}`;
}
