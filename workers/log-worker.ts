/**
 * Piscina worker entry: a chunk of log text in, a Partial out (packed into one shared buffer:
 * see packPartial; nothing is transferred, so this isolate never detaches a buffer). Two kinds
 * of task: a chunk of bytes in shared memory framed by the main thread (gzip, stdin), or a
 * byte range of a plain file that the worker reads itself (see src/sources/file-range.ts). All
 * logic lives in src/; this file keeps one folder per configuration and one read buffer.
 */
import { workerData } from 'piscina';
import { LogFolder } from '../src/partial/log-folder.js';
import type { LogTask } from '../src/pipeline/task.js';
import { packPartial, type Partial } from '../src/partial/partial.js';
import { READ_FAILED, readOwnedLines } from '../src/sources/file-range.js';


let folder: LogFolder | null = null;
let folderKey = '';
let scratch: Buffer | null = null;

export default function foldChunk(task: LogTask): Partial {
  const key = JSON.stringify(task.config);
  if (folder === null || key !== folderKey) {
    folder = new LogFolder(task.config, (workerData as { countryBytes?: Uint8Array } | undefined)?.countryBytes);
    folderKey = key;
  }
  let partial: Partial;
  if (task.kind === 'bytes') {
    // Folded from a copy in the worker's own memory, not in place: in the pipeline (gzip 2M
    // lines, interleaved) 3.55 -> 3.36 s, 6.57 -> 6.17 s of CPU, for 4 MiB of RSS a worker
    // (README, design notes). One thread folding the same chunks from either kind of buffer
    // took the same time, so the cost is likely that of reading, line by line and more than
    // once, bytes another core has just written; the copy (~0.2 ms) reads them once, in order.
    const n = task.chunk.length;
    // Room for a line more, as for a byte range: chunks differ by a few bytes in length.
    if (scratch === null || scratch.length < n) scratch = Buffer.allocUnsafe(n + task.config.maxLineBytes + 2);
    scratch.set(task.chunk);
    partial = folder.fold(scratch.subarray(0, n), task.seq);
  } else {
    const need = task.end - task.start + task.config.maxLineBytes + 2;
    if (scratch === null || scratch.length < need) scratch = Buffer.allocUnsafe(need);
    let owned: ReturnType<typeof readOwnedLines>;
    try {
      owned = readOwnedLines(task.fd, task.start, task.end, task.size, scratch, task.config.maxLineBytes);
    } catch (e) {
      // Truncated or unreadable since it was opened: said as damage to the input (the main
      // thread names the file and keeps what was read before), not as a crash of the pool.
      throw new Error(`${READ_FAILED}${(e as Error).message}`);
    }
    partial = folder.fold(owned.bytes, task.seq);
    if (owned.overlongTail > 0) LogFolder.appendOverlong(partial, task.config.maxSamples);
  }
  return packPartial(partial);
}
