// The socket worker (see sockets.ts): owns the program's sockets (TCP listeners and connections, UDP sockets) and
// runs their event loop. Each
// request from the guest's thread is answered into the shared buffer: a u32 length, a JSON header, raw bytes. A
// blocking request (accept, recv) is answered when it can be; ctrl[0] = 1 wakes the guest's thread. A `cancel`
// drops the blocking request still waiting (answered `cancelled`), and is ignored when it was answered already.

import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

const ctrl = new Int32Array(workerData.ctrl as SharedArrayBuffer);
const data = new Uint8Array(workerData.data as SharedArrayBuffer);
interface Conn { sock: net.Socket; chunks: Buffer[]; size: number; eof: boolean; err: string | undefined; readShut: boolean }
interface Listener { server: net.Server; queue: net.Socket[] }
interface Datagram { data: Buffer; peer: string }
interface Udp { sock: dgram.Socket; queue: Datagram[]; size: number; err: string | undefined }
const listeners = new Map<number, Listener>();
const conns = new Map<number, Conn>();
const udps = new Map<number, Udp>();
/** Datagrams a UDP socket keeps for the program at most (more are dropped, as a full receive buffer drops them). */
const UDP_KEEP = 4 << 20;
let nextId = 1;
let waiting: (() => boolean) | undefined;
const HIGH_WATER = 1 << 20;

const addr = (a: string | undefined, p: number | undefined): string => (a && a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);
function respond(res: Record<string, unknown>, bytes?: Uint8Array): void {
  const json = Buffer.from(JSON.stringify(res), 'utf8');
  const n = 4 + json.length + (bytes ? bytes.length : 0);
  new DataView(data.buffer).setUint32(0, json.length, true);
  data.set(json, 4);
  if (bytes) data.set(bytes, 4 + json.length);
  Atomics.store(ctrl, 1, n);
  Atomics.store(ctrl, 0, 1);
  Atomics.notify(ctrl, 0);
}
function wake(): void {
  if (waiting && waiting()) waiting = undefined;
}
function take(c: Conn, max: number): Buffer {
  const out: Buffer[] = [];
  let n = 0;
  while (c.chunks.length > 0 && n < max) {
    const b = c.chunks[0];
    const k = Math.min(b.length, max - n);
    out.push(b.subarray(0, k));
    n += k;
    if (k === b.length) c.chunks.shift();
    else c.chunks[0] = b.subarray(k);
  }
  c.size -= n;
  if (c.size < HIGH_WATER && c.sock.isPaused()) c.sock.resume();
  return Buffer.concat(out);
}
function adopt(sock: net.Socket): number {
  const id = nextId++;
  const c: Conn = { sock, chunks: [], size: 0, eof: false, err: undefined, readShut: false };
  conns.set(id, c);
  sock.on('data', (b: Buffer) => {
    c.chunks.push(b);
    c.size += b.length;
    if (c.size >= HIGH_WATER) sock.pause();
    wake();
  });
  sock.on('drain', wake);
  sock.on('end', () => {
    c.eof = true;
    wake();
  });
  sock.on('error', (e: NodeJS.ErrnoException) => {
    c.err = e.code ?? 'EIO';
    wake();
  });
  sock.resume();
  return id;
}
// Answers now, or (blocking) when the test first passes.
function when(test: () => boolean, block: boolean): void {
  if (test()) return;
  if (!block) respond({ errno: 'EAGAIN' });
  else waiting = test;
}
process.on('uncaughtException', (e) => respond({ errno: 'EIO', message: `socket worker: ${(e as Error).message}` }));
Atomics.store(ctrl, 2, 1);

interface Req {
  op: string; id?: number; host?: string; port?: number; max?: number; block?: boolean; how?: number; bytes?: Uint8Array; ids?: number[];
  family?: 4 | 6; localHost?: string; localPort?: number; opt?: string; value?: boolean | number;
}

parentPort!.on('message', (req: Req) => {
  try {
    switch (req.op) {
      case 'listen': {
        const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true });
        const l: Listener = { server, queue: [] };
        server.on('connection', (s) => {
          l.queue.push(s);
          wake();
        });
        server.once('error', (e: NodeJS.ErrnoException) => respond({ errno: e.code ?? 'EIO', message: e.message }));
        server.listen(req.port, req.host, () => {
          const id = nextId++;
          listeners.set(id, l);
          const a = server.address() as net.AddressInfo;
          respond({ id, local: addr(a.address, a.port) });
        });
        return;
      }
      case 'connect': {
        const sock = net.connect({ host: req.host, port: req.port!, localAddress: req.localHost, localPort: req.localPort, allowHalfOpen: true });
        sock.pause();
        const failed = (e: NodeJS.ErrnoException): void => respond({ errno: e.code ?? 'EIO', message: e.message });
        sock.once('error', failed);
        sock.once('connect', () => {
          sock.off('error', failed);
          const id = adopt(sock);
          respond({ id, local: addr(sock.localAddress, sock.localPort), peer: addr(sock.remoteAddress, sock.remotePort) });
        });
        return;
      }
      case 'udpbind': {
        const sock = dgram.createSocket({ type: req.family === 6 ? 'udp6' : 'udp4' });
        const u: Udp = { sock, queue: [], size: 0, err: undefined };
        sock.on('message', (b, rinfo) => {
          if (u.size + b.length > UDP_KEEP) return;
          u.queue.push({ data: b, peer: addr(rinfo.address, rinfo.port) });
          u.size += b.length;
          wake();
        });
        const failed = (e: NodeJS.ErrnoException): void => respond({ errno: e.code ?? 'EIO', message: e.message });
        sock.once('error', failed);
        sock.bind(req.port, req.host, () => {
          sock.off('error', failed);
          sock.on('error', (e: NodeJS.ErrnoException) => {
            u.err = e.code ?? 'EIO';
            wake();
          });
          const id = nextId++;
          udps.set(id, u);
          const a = sock.address();
          respond({ id, local: addr(a.address, a.port) });
        });
        return;
      }
      case 'sendto': {
        const u = udps.get(req.id!);
        if (!u) return respond({ errno: 'EBADF' });
        const n = req.bytes!.length;
        u.sock.send(Buffer.from(req.bytes!), req.port, req.host, (e) => (e ? respond({ errno: (e as NodeJS.ErrnoException).code ?? 'EIO', message: e.message }) : respond({ n })));
        return;
      }
      case 'recvfrom': {
        const u = udps.get(req.id!);
        if (!u) return respond({ errno: 'EBADF' });
        return when(() => {
          const d = u.queue.shift();
          if (!d) {
            if (!u.err) return false;
            respond({ errno: u.err });
            u.err = undefined;
            return true;
          }
          u.size -= d.data.length;
          // A datagram longer than the buffer is cut (the rest is lost), as recvfrom does.
          respond({ peer: d.peer, size: d.data.length }, d.data.subarray(0, req.max!));
          return true;
        }, req.block!);
      }
      case 'setopt': {
        const c = conns.get(req.id!);
        if (!c) return respond({ errno: 'EBADF' });
        if (req.opt === 'nodelay') c.sock.setNoDelay(req.value === true);
        else if (req.opt === 'keepalive') c.sock.setKeepAlive(req.value === true);
        return respond({});
      }
      case 'accept': {
        const l = listeners.get(req.id!);
        if (!l) return respond({ errno: 'EBADF' });
        return when(() => {
          const s = l.queue.shift();
          if (!s) return false;
          const id = adopt(s);
          respond({ id, local: addr(s.localAddress, s.localPort), peer: addr(s.remoteAddress, s.remotePort) });
          return true;
        }, req.block!);
      }
      case 'recv': {
        const c = conns.get(req.id!);
        if (!c) return respond({ errno: 'EBADF' });
        return when(() => {
          if (c.chunks.length > 0 && !c.readShut) {
            respond({}, take(c, req.max!));
            return true;
          }
          if (c.eof || c.readShut) {
            respond({});
            return true;
          }
          if (c.err) {
            respond({ errno: c.err });
            return true;
          }
          return false;
        }, req.block!);
      }
      case 'send': {
        const c = conns.get(req.id!);
        if (!c) return respond({ errno: 'EBADF' });
        if (c.err) return respond({ errno: c.err });
        if (c.sock.writableEnded || c.sock.destroyed) return respond({ errno: 'EPIPE' });
        const n = req.bytes!.length;
        // Back-pressure: while the peer does not read, the send waits (as a blocking send does).
        if (c.sock.write(Buffer.from(req.bytes!))) return respond({ n });
        return when(() => {
          if (c.err) respond({ errno: c.err });
          else if (c.sock.writableNeedDrain) return false;
          else respond({ n });
          return true;
        }, true);
      }
      case 'shutdown': {
        const c = conns.get(req.id!);
        if (!c) return respond({ errno: 'EBADF' });
        if (req.how! & 1) c.readShut = true;
        if (req.how! & 2) c.sock.end();
        return respond({});
      }
      case 'close': {
        const c = conns.get(req.id!);
        if (c) {
          conns.delete(req.id!);
          c.sock.end();
          c.sock.destroySoon();
        }
        const l = listeners.get(req.id!);
        if (l) {
          listeners.delete(req.id!);
          l.server.close();
          for (const s of l.queue) s.destroy();
        }
        const u = udps.get(req.id!);
        if (u) {
          udps.delete(req.id!);
          u.sock.close();
        }
        return respond({});
      }
      case 'ready': {
        const ready = (req.ids ?? []).filter((id) => {
          const c = conns.get(id);
          if (c) return c.chunks.length > 0 || c.eof || c.err !== undefined || c.readShut;
          const l = listeners.get(id);
          if (l) return l.queue.length > 0;
          const u = udps.get(id);
          return u ? u.queue.length > 0 || u.err !== undefined : true;
        });
        return respond({ ready });
      }
      case 'cancel': {
        // Sent only for a blocking accept or recv; when it was answered meanwhile, that answer stands.
        if (waiting) {
          waiting = undefined;
          respond({ cancelled: true });
        }
        return;
      }
      case 'stop': {
        for (const c of conns.values()) c.sock.destroy();
        for (const l of listeners.values()) l.server.close();
        for (const u of udps.values()) u.sock.close();
        respond({});
        setImmediate(() => process.exit(0));
        return;
      }
      default:
        return respond({ errno: 'ENOSYS' });
    }
  } catch (e) {
    respond({ errno: 'EIO', message: (e as Error).message });
  }
});
