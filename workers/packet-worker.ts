/**
 * Piscina worker entry for captures: a chunk of packet records and its context in (in shared
 * memory), a PacketPartial out (packed into one shared buffer: see src/partial/pack.ts; nothing
 * is transferred, so this isolate never detaches a buffer). Logic lives in src/partial/packet-folder.ts.
 */
import { workerData } from 'piscina';
import { PacketFolder } from '../src/partial/packet-folder.js';
import { packPacketPartial, type PacketPartial } from '../src/partial/packet-partial.js';
import type { PacketTask } from '../src/pipeline/task.js';

let folder: PacketFolder | null = null;
let folderKey = '';

export default function foldPackets(task: PacketTask): PacketPartial {
  const key = JSON.stringify([task.step, task.geo]);
  if (folder === null || folderKey !== key) {
    folder = new PacketFolder(task.step, task.geo, (workerData as { countryBytes?: Uint8Array } | undefined)?.countryBytes);
    folderKey = key;
  }
  return packPacketPartial(folder.fold(task.chunk, task.context, task.seq, task.records));
}
