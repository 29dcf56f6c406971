/**
 * Ctrl-C on a batch run prints the report of what was read, and says where reading stopped;
 * pipes given as file names (a FIFO, `<(zcat …)`) are read to their end like stdin.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, analyzeLogs, generateCapture, sampleScenario, writePcap } from '../../dist/src/index.js';
import { BIN, generated, ROOT, run, tmp } from '../helpers.js';

const CHUNK = 64 * 1024;

describe('an interrupted batch run', () => {
  const { path: original, text } = generated(sampleScenario(12, 0.5));
  const total = text.split('\n').length - 1;

  it('stops reading at the next chunk, merges what is in flight, and says where it stopped and what it did not read', async () => {
    const d = tmp();
    // Two rotations of one log, oldest first in time.
    const [a, b] = [join(d, 'access.log.1'), join(d, 'access.log')];
    const cut = text.indexOf('\n', text.length / 2) + 1;
    writeFileSync(a, text.slice(0, cut));
    writeFileSync(b, text.slice(cut));
    const stop = new AbortController();
    const r = await analyzeLogs({ inputs: [a, b], threads: 1, chunkSize: CHUNK, signal: stop.signal, onProgress: () => stop.abort() });
    const w = r.input.warnings.find((x) => x.startsWith('interrupted'));
    expect(w).toMatch(new RegExp(`^interrupted in ${a} at byte (\\d+) of ${cut} \\(\\d+ %\\): this report covers what was read before; not read: ${b}$`));
    const at = Number(/at byte (\d+)/.exec(w!)![1]);
    // Whole chunks before that byte, every line of them; nothing of b.
    expect(at % CHUNK).toBe(0);
    expect(r.input.files[0]!.bytes).toBe(at);
    expect(r.input.files[0]!.lines).toBe(text.slice(0, at - 1).split('\n').length);
    expect(r.input.files[0]!.lines).toBeLessThan(text.slice(0, cut).split('\n').length - 1);
    expect(r.input.files[1]!.lines).toBe(0);
    expect(r.input.errors).toEqual([]);
  });

  it('does the same for captures', async () => {
    const p = join(tmp(), 'c.pcap');
    const pcap = writePcap(generateCapture(6, 0.2).packets);
    createWriteStream(p).end(pcap);
    await new Promise((r) => setTimeout(r, 50));
    const whole = await analyze({ inputs: [p], threads: 1, chunkSize: CHUNK });
    const stop = new AbortController();
    const r = await analyze({ inputs: [p], threads: 1, chunkSize: CHUNK, signal: stop.signal, onProgress: () => stop.abort() });
    if (r.kind !== 'capture' || whole.kind !== 'capture') throw new Error('not a capture');
    expect(r.input.warnings).toContainEqual(expect.stringMatching(new RegExp(`^interrupted in ${p} at byte \\d+ of ${pcap.length} \\(\\d+ %\\): this report covers what was read before$`)));
    expect(r.input.packets).toBeGreaterThan(0);
    expect(r.input.packets).toBeLessThan(whole.input.packets);
  });

  it('from the CLI: SIGINT while a pipe given by name stalls prints the report of what was read, exit 130', async () => {
    const fifo = join(tmp(), 'access.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const child = spawn(BIN, ['--format', 'json', fifo], { env: { ...process.env, NO_COLOR: '1' } });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exit = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    // Half the log, and the writer stays open: the run waits for more.
    const half = text.slice(0, text.indexOf('\n', text.length / 2) + 1);
    const w = createWriteStream(fifo);
    await new Promise<void>((r) => w.write(half, () => r()));
    for (let i = 0; i < 100 && !err.includes('format: combined'); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    expect(await exit).toBe(130);
    w.destroy();
    expect(err).toContain('interrupted: printing the report of what was read (again to quit at once)');
    const j = JSON.parse(Buffer.concat(out).toString()) as { input: { lines: number; warnings: string[] } };
    expect(j.input.warnings).toContainEqual(expect.stringMatching(new RegExp(`^interrupted in ${fifo} at byte \\d+: this report covers what was read before$`)));
    expect(j.input.lines).toBeGreaterThan(0);
    expect(j.input.lines).toBeLessThanOrEqual(half.split('\n').length - 1);
  });

  it('reads a pipe given by name (a FIFO, <(zcat …)) to its end like stdin, beside regular files', async () => {
    const r = spawnSync('bash', ['-c', `"${BIN}" -q --format json <(cat "${original}") "${original}"`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { input: { files: { name: string; lines: number }[] } };
    expect(j.input.files.map((f) => f.lines)).toEqual([total, total]);
    expect(j.input.files[0]!.name).toMatch(/^\/dev\/fd\/\d+$/);
    expect(readFileSync(original, 'utf8')).toBe(text);
    const solo = await run(['-q', '--format', 'json', original]);
    expect((JSON.parse(solo.stdout) as { input: { lines: number } }).input.lines).toBe(total);
  });

  it('ends cleanly when the run is over before its workers have started (a tiny input, 40 pools of 4)', () => {
    // Terminating a worker while it loaded its ES module through require() aborted the whole
    // process (V8 FATAL ERROR) in about one pool of a hundred.
    const tiny = join(tmp(), 'tiny.log');
    writeFileSync(tiny, text.split('\n').slice(0, 3).join('\n') + '\n');
    const script = `import { analyze } from ${JSON.stringify(join(ROOT, 'dist/src/index.js'))};
      for (let i = 0; i < 40; i++) await analyze({ inputs: [${JSON.stringify(tiny)}], threads: 4 });
      console.log('done');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/FATAL/);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('done');
  });
});
