/**
 * A minimal MaxMind DB writer for tests (format spec: https://maxmind.github.io/MaxMind-DB/):
 * an IPv4 search tree with 24-bit records, a data section of maps, strings, uint32s and
 * doubles, and the metadata map. Enough to build small ASN and city databases that the
 * real `maxmind` reader opens.
 */
type Value = string | number | { [k: string]: Value } | Value[] | { double: number };

/** Control byte(s): type in the top 3 bits (extended types in a second byte), then the size. */
function control(type: number, size: number): number[] {
  if (size >= 285) throw new Error('mmdb-writer: sizes ≥ 285 not supported');
  const small = size < 29 ? size : 29;
  const extra = size < 29 ? [] : [size - 29];
  return type <= 7 ? [(type << 5) | small, ...extra] : [small, type - 7, ...extra];
}

function uintBytes(v: number): number[] {
  const out: number[] = [];
  while (v > 0) {
    out.unshift(v & 255);
    v = Math.floor(v / 256);
  }
  return out;
}

function encode(v: Value): number[] {
  if (typeof v === 'string') {
    const b = [...Buffer.from(v, 'utf8')];
    return [...control(2, b.length), ...b];
  }
  if (typeof v === 'number') {
    const b = uintBytes(v);
    return [...control(6, b.length), ...b];
  }
  if (Array.isArray(v)) return [...control(11, v.length), ...v.flatMap(encode)];
  if ('double' in v && typeof v.double === 'number' && Object.keys(v).length === 1) {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v.double);
    return [...control(3, 8), ...b];
  }
  const entries = Object.entries(v as { [k: string]: Value });
  return [...control(7, entries.length), ...entries.flatMap(([k, x]) => [...encode(k), ...encode(x)])];
}

/** Build an IPv4 database mapping each CIDR to its record. */
export function writeMmdb(databaseType: string, networks: [string, Value][]): Buffer {
  // Data section: one encoded record per network.
  const data: number[] = [];
  const offsets: number[] = [];
  for (const [, rec] of networks) {
    offsets.push(data.length);
    data.push(...encode(rec));
  }
  // Search tree: node = [left, right], each a node index, or -(data index + 1) for a leaf.
  const nodes: [number, number][] = [[0, 0]];
  const EMPTY = Number.MIN_SAFE_INTEGER;
  nodes[0] = [EMPTY, EMPTY];
  networks.forEach(([cidr], i) => {
    const [ip, bitsText] = cidr.split('/');
    const bits = Number(bitsText);
    const addr = ip!.split('.').reduce((a, o) => a * 256 + Number(o), 0);
    let node = 0;
    for (let b = 0; b < bits; b++) {
      const bit = (addr >>> (31 - b)) & 1;
      if (b === bits - 1) {
        nodes[node]![bit] = -(i + 1);
        break;
      }
      let next = nodes[node]![bit]!;
      if (next === EMPTY || next < 0) {
        nodes.push([EMPTY, EMPTY]);
        next = nodes.length - 1;
        nodes[node]![bit] = next;
      }
      node = next;
    }
  });
  const n = nodes.length;
  const tree = Buffer.alloc(n * 6);
  const rec = (v: number) => (v === EMPTY ? n : v < 0 ? n + 16 + offsets[-v - 1]! : v);
  nodes.forEach(([l, r], i) => {
    tree.writeUIntBE(rec(l), i * 6, 3);
    tree.writeUIntBE(rec(r), i * 6 + 3, 3);
  });
  const meta = encode({
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_700_000_000,
    database_type: databaseType,
    description: { en: 'floodscope test database' },
    ip_version: 4,
    languages: ['en'],
    node_count: n,
    record_size: 24,
  });
  return Buffer.concat([tree, Buffer.alloc(16), Buffer.from(data), Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com'), Buffer.from(meta)]);
}
