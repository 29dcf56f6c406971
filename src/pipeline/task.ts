/** What the main thread asks a log worker to do with one chunk. */
import type { FoldConfig } from '../partial/log-folder.js';

export type LogTask =
  /** A chunk of bytes framed by the main thread into shared memory (gzip, stdin). */
  | { kind: 'bytes'; chunk: Uint8Array; seq: number; config: FoldConfig }
  /** A byte range of a plain file, read by the worker itself through the main thread's descriptor `fd` (src/sources/file-range.ts). */
  | { kind: 'range'; fd: number; start: number; end: number; size: number; seq: number; config: FoldConfig };

/** A chunk of capture records and the context needed to decode them. */
export interface PacketTask {
  chunk: Uint8Array;
  context: import('../framing/captures.js').CaptureContext;
  /** Packet records in the chunk (its framer's count: the worker sizes its columns by it). */
  records: number;
  seq: number;
  step: number;
  /** Geolocate sources in the worker (undefined countryDb: the bundled database), or null. */
  geo: { countryDb?: string } | null;
}
