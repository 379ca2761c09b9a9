// Loading a WebAssembly module: checks that say what is wrong with a file (not WebAssembly, does not compile,
// imports we do not provide), the module hash journals are tied to, and the trapping stand-ins for unknown imports.

import { createHash } from 'node:crypto';
import { RuntimeError } from './errors';
import { WASI_MODULE } from './wasi';
import { sections, WasmShapeError } from './snapshot/wasm-binary';

const MAGIC = [0x00, 0x61, 0x73, 0x6d];

function describeNotWasm(bytes: Uint8Array): string {
  const head = Buffer.from(bytes.subarray(0, 4));
  if (bytes.length === 0) return 'the file is empty';
  if (head[0] === 0x7f && head.toString('latin1', 1, 4) === 'ELF') return 'it is an ELF executable (a native program, not WebAssembly)';
  if (head.toString('latin1', 0, 2) === 'MZ') return 'it is a Windows executable';
  if (head.toString('latin1', 0, 4) === '(mod') return 'it is WebAssembly text (.wat); compile it with wat2wasm first';
  if (head[0] === 0x89 && head.toString('latin1', 1, 4) === 'WJN') return 'it is a wasm-journal journal, not a module';
  if (head.toString('latin1', 0, 2) === '#!') return 'it is a script';
  return `it starts with bytes ${head.toString('hex').replace(/(..)/g, '$1 ').trim()}, not the WebAssembly magic 00 61 73 6d`;
}

export interface LoadedModule {
  /** The module compiled (when loaded `lazy`, at the first use of this property). */
  readonly module: WebAssembly.Module;
  bytes: Uint8Array;
  /** SHA-256 of the module's bytes (InitModuleV1.wasm_hash). */
  hash: Uint8Array;
  path: string;
}

/**
 * Compiles a module, or throws a RuntimeError that names the file and the problem. `lazy`: the bytes are checked
 * and hashed now, and compiled at the first use of `module` (which then throws that error): a run that finds the
 * module instrumented in its cache never compiles the module as built (for a 20 MB module, 50 ms of its start).
 */
export async function loadModule(bytes: Uint8Array, path: string, opts: { lazy?: boolean } = {}): Promise<LoadedModule> {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new RuntimeError('not-wasm', `${path}: not a WebAssembly module: ${describeNotWasm(bytes)}`);
  }
  const version = bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24);
  if (version !== 1) {
    throw new RuntimeError('not-wasm', `${path}: WebAssembly binary version ${version} is not supported (only version 1; components are not modules)`);
  }
  if (opts.lazy) {
    let compiled: WebAssembly.Module | undefined;
    // The sections' frame is checked now (a cut or damaged file, the common broken module, is refused at once,
    // with V8's own words); what is inside them, when compiled.
    try {
      sections(bytes);
    } catch (e) {
      if (!(e instanceof WasmShapeError)) throw e;
      try {
        compiled = new WebAssembly.Module(bytes);
      } catch (v8) {
        throw invalid(path, v8);
      }
    }
    return {
      bytes,
      hash: moduleHash(bytes),
      path,
      get module(): WebAssembly.Module {
        if (!compiled) {
          try {
            compiled = new WebAssembly.Module(bytes);
          } catch (e) {
            throw invalid(path, e);
          }
        }
        return compiled;
      },
    };
  }
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes);
  } catch (e) {
    throw invalid(path, e);
  }
  return { module, bytes, hash: moduleHash(bytes), path };
}

function invalid(path: string, e: unknown): RuntimeError {
  return new RuntimeError('not-wasm', `${path}: invalid WebAssembly: ${(e as Error).message.replace(/^WebAssembly\.(compile|Module)\(\): /, '')}`);
}

export function moduleHash(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/**
 * The imports `provided` does not cover. Functions can be replaced by stand-ins that trap when called
 * (`allowUnknown`); anything else (memories, tables, globals) cannot.
 */
export function unknownImports(
  module: WebAssembly.Module,
  provided: Record<string, Record<string, unknown>>,
): WebAssembly.ModuleImportDescriptor[] {
  return WebAssembly.Module.imports(module).filter((i) => !(i.module in provided && i.name in provided[i.module]));
}

export function checkImports(
  loaded: LoadedModule,
  provided: Record<string, Record<string, WebAssembly.ImportValue>>,
  allowUnknown: boolean,
  /** The module that runs (an instrumented one imports what the module as built does). */
  compiled: WebAssembly.Module = loaded.module,
): void {
  const missing = unknownImports(compiled, provided);
  if (missing.length === 0) return;
  const list = missing.map((i) => `${i.module}.${i.name} (${i.kind})`);
  const fns = missing.filter((i) => i.kind === 'function');
  if (!allowUnknown || fns.length !== missing.length) {
    const more = missing.some((i) => i.module === WASI_MODULE)
      ? ''
      : missing.some((i) => i.module.startsWith('wasix'))
        ? ' (WASIX calls are not supported)'
        : '';
    const hint = allowUnknown ? '' : '; --allow-unknown-imports makes unknown functions trap when called';
    throw new RuntimeError('unknown-imports', `${loaded.path}: imports what wasm-journal does not provide${more}: ${list.join(', ')}${hint}`);
  }
  for (const i of fns) {
    provided[i.module] ??= {};
    provided[i.module][i.name] = () => {
      throw new RuntimeError('trap', `the program called ${i.module}.${i.name}, an import wasm-journal does not provide`);
    };
  }
}

/** A trap's message with the wasm frames of its stack: function names from the name section, and code offsets. */
export function describeTrap(e: Error): string {
  const frames: string[] = [];
  for (const line of (e.stack ?? '').split('\n')) {
    const m = /at (?:(.*?) \()?wasm:\/\/wasm\/[^:]*:wasm-function\[(\d+)\]:(0x[0-9a-f]+)\)?/.exec(line);
    if (m) frames.push(`  at ${m[1] ?? `function ${m[2]}`} (wasm function ${m[2]}, offset ${m[3]})`);
  }
  // Deep recursion: one line for a run of the same frame.
  const lines: string[] = [];
  for (let i = 0; i < frames.length; ) {
    let j = i + 1;
    while (j < frames.length && frames[j] === frames[i]) j++;
    lines.push(frames[i]);
    if (j - i > 2) lines.push(`  ... the same frame ${j - i - 1} more times`);
    else if (j - i === 2) lines.push(frames[i]);
    i = j;
  }
  const msg = e.message.replace(/^RuntimeError: /, '');
  return lines.length > 0 ? `${msg}\n${lines.join('\n')}` : msg;
}
