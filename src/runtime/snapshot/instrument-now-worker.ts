// Instruments a module's chosen functions for adaptive.ts's instrumentNow, whose thread waits (inside a host call
// of the program) until this one says it is done: the answer goes through the port, then the shared cell is set.

import { workerData, type MessagePort } from 'node:worker_threads';
import { instrument } from './instrument';
import type { InstrumentNowRequest } from './adaptive';

const req = workerData as InstrumentNowRequest & { done: Int32Array; port: MessagePort };

function answer(m: unknown): void {
  req.port.postMessage(m);
  Atomics.store(req.done, 0, 1);
  Atomics.notify(req.done, 0);
}

instrument(req.bytes, req.hash, { functions: req.functions, imports: req.imports }).then(
  (result) => answer({ result }),
  (e: unknown) => answer({ error: e instanceof Error ? e.message : String(e) }),
);
