// The `wasm-journal` command line: dispatches to the commands, turns errors into one clear line on stderr.
// Exit status: 0 success, 1 failure (bad or damaged input, I/O), 2 usage error.

import { JournalError, crc32cBackend, lz4Backend } from '../journal';
import { helpText, parseArgs, UsageError, usageLine } from './args';
import { JOURNAL_COMMANDS, type Command } from './journal-commands';
import { RUN_COMMANDS } from './run-commands';
import { dapCommand } from './dap';
import { RuntimeError } from '../runtime/errors';
import { ClosedPipe, processIo, type Io } from '../runtime';
import { dropPrestarted } from '../runtime/prestart';

const VERSION = '0.1.0';

const COMMANDS: Command[] = [...RUN_COMMANDS, dapCommand, ...JOURNAL_COMMANDS];

function mainHelp(): string {
  const lines = [
    'wasm-journal: journals and time travel for WebAssembly (WASI) programs',
    '',
    'Usage: wasm-journal <command> [arguments] [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(10)} ${c.spec.summary}`),
    '',
    'Run `wasm-journal <command> --help` for the arguments and options of a command.',
  ];
  return lines.join('\n') + '\n';
}

export async function run(argv: string[], io: Io): Promise<number> {
  // The command line is its own process: a trap's message may list more of the program's wasm frames.
  Error.stackTraceLimit = Math.max(Error.stackTraceLimit, 64);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const target = name === 'help' ? COMMANDS.find((c) => c.spec.name === rest[0]) : undefined;
    io.out.write(target ? helpText(target.spec) : mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    io.out.line(`wasm-journal ${VERSION} (node ${process.version}, crc32c ${crc32cBackend}, lz4 ${lz4Backend})`);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.spec.name === name);
  if (!cmd) {
    io.err.line(`wasm-journal: unknown command "${name}" (see wasm-journal --help)`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out.write(helpText(cmd.spec));
    return 0;
  }
  try {
    const args = parseArgs(cmd.spec, rest);
    return await cmd.run(args, io);
  } catch (e) {
    if (e instanceof ClosedPipe) return 0;
    if (e instanceof UsageError) {
      io.err.line(`wasm-journal ${name}: ${e.message}`);
      io.err.line(`usage: ${usageLine(cmd.spec)}   (see --help)`);
      return 2;
    }
    if (e instanceof JournalError || e instanceof RuntimeError) {
      io.err.line(`wasm-journal ${name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

export async function main(): Promise<void> {
  const io = processIo();
  let code: number;
  try {
    code = await run(process.argv.slice(2), io);
    // Workers started early that nothing took (a usage error, a missing module, a `dap` whose client never
    // launched a program) go.
    dropPrestarted();
  } catch (e) {
    try {
      io.out.flush();
    } catch {
      // stdout is gone
    }
    io.err.line(`wasm-journal: internal error: ${(e as Error).stack ?? String(e)}`);
    io.err.line('This is a bug in wasm-journal; please report it with the command you ran.');
    io.err.flush();
    process.exit(70);
  }
  try {
    io.out.flush();
  } catch (e) {
    if (!(e instanceof ClosedPipe)) throw e;
  }
  io.err.flush();
  process.exitCode = code;
}

