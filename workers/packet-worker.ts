/**
 * Piscina worker entry for captures: a chunk of packet records and its context in
 * (transferred), a PacketPartial out (transferred). Logic lives in src/partial/packet-folder.ts.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { PacketFolder } from '../src/partial/packet-folder.js';
import { packetTransferList, type PacketPartial } from '../src/partial/packet-partial.js';
import type { PacketTask } from '../src/pipeline/task.js';

let folder: PacketFolder | null = null;
let folderStep = 0;

export default function foldPackets(task: PacketTask): unknown {
  if (folder === null || folderStep !== task.step) {
    folder = new PacketFolder(task.step);
    folderStep = task.step;
  }
  const partial: PacketPartial = folder.fold(task.chunk, task.context, task.seq);
  return move({
    get [transferableSymbol]() {
      return packetTransferList(partial);
    },
    get [valueSymbol]() {
      return partial;
    },
  });
}
