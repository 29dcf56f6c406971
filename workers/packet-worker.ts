/**
 * Piscina worker entry for captures: a chunk of packet records and its context in
 * (transferred), a PacketPartial out (packed into one buffer and transferred: see src/partial/pack.ts). Logic lives in src/partial/packet-folder.ts.
 */
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import { PacketFolder } from '../src/partial/packet-folder.js';
import { packetTransferList, packPacketPartial, type PacketPartial } from '../src/partial/packet-partial.js';
import type { PacketTask } from '../src/pipeline/task.js';

let folder: PacketFolder | null = null;
let folderKey = '';

export default function foldPackets(task: PacketTask): unknown {
  const key = JSON.stringify([task.step, task.geo]);
  if (folder === null || folderKey !== key) {
    folder = new PacketFolder(task.step, task.geo, (workerData as { countryBytes?: Uint8Array } | undefined)?.countryBytes);
    folderKey = key;
  }
  const partial: PacketPartial = folder.fold(task.chunk, task.context, task.seq);
  packPacketPartial(partial);
  return move({
    get [transferableSymbol]() {
      return packetTransferList(partial);
    },
    get [valueSymbol]() {
      return partial;
    },
  });
}
