/**
 * Piscina loads its worker file with require(); an ES module so loaded (require(esm), Node
 * 20.19+) that the pool terminates mid-load — a run that ends while a worker is still
 * starting (a tiny input, Ctrl-C) — aborts the whole process (V8 "FATAL ERROR … Empty
 * MaybeLocal"). This CommonJS entry loads nothing at start, and the fold by dynamic import on
 * the first task, which a termination ends cleanly.
 */
import type { PacketTask } from '../src/pipeline/task.js';

type Handler = (task: PacketTask) => unknown;
let handler: Promise<Handler> | null = null;

export = function packetEntry(task: PacketTask): Promise<unknown> {
  handler ??= import('./packet-worker.js').then((m) => m.default);
  return handler.then((h) => h(task));
};
