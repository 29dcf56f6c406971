/**
 * Piscina worker entry: a chunk of log text in (transferred), a Partial out (transferred).
 * All logic lives in src/partial/log-folder.ts; this file only keeps one folder per
 * configuration so the parse plan and scratch tables are built once per worker.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { LogFolder, type FoldConfig } from '../src/partial/log-folder.js';
import { partialTransferList, type Partial } from '../src/partial/partial.js';

export interface LogTask {
  chunk: Uint8Array;
  seq: number;
  config: FoldConfig;
}

let folder: LogFolder | null = null;
let folderKey = '';

export default function foldChunk(task: LogTask): unknown {
  const key = JSON.stringify(task.config);
  if (folder === null || key !== folderKey) {
    folder = new LogFolder(task.config);
    folderKey = key;
  }
  const partial: Partial = folder.fold(task.chunk, task.seq);
  return move({
    get [transferableSymbol]() {
      return partialTransferList(partial);
    },
    get [valueSymbol]() {
      return partial;
    },
  });
}
