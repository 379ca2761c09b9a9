// A small declarative command-line parser: each command declares its positionals and options once, and the same
// declaration drives parsing, validation and `--help`.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  /** Long name without dashes, e.g. "output". */
  name: string;
  short?: string;
  /** "flag" takes no value; "string" and "number" take one. */
  type: 'flag' | 'string' | 'number';
  repeatable?: boolean;
  /** Value placeholder in help, e.g. "FILE". */
  value?: string;
  help: string;
  /** Allowed values (for "string"). */
  choices?: readonly string[];
}

export interface PositionalSpec {
  name: string;
  help: string;
  optional?: boolean;
  /** Takes every remaining positional (at least one unless optional). */
  variadic?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  positionals: PositionalSpec[];
  options: OptionSpec[];
  /** Extra lines for --help (examples, notes). */
  details?: string[];
}

export interface ParsedArgs {
  positionals: Record<string, string | undefined>;
  rest: string[];
  flags: Set<string>;
  values: Map<string, string[]>;
}

export function parseArgs(spec: CommandSpec, argv: string[]): ParsedArgs {
  const byLong = new Map(spec.options.map((o) => [o.name, o]));
  const byShort = new Map(spec.options.filter((o) => o.short).map((o) => [o.short!, o]));
  const flags = new Set<string>();
  const values = new Map<string, string[]>();
  const pos: string[] = [];
  let rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    let opt: OptionSpec | undefined;
    let inline: string | undefined;
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
      if (eq !== -1) inline = a.slice(eq + 1);
      opt = byLong.get(name);
      if (!opt) throw new UsageError(`unknown option --${name}`);
    } else if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      const name = a.slice(1, 2);
      if (a.length > 2) inline = a.slice(2);
      opt = byShort.get(name);
      if (!opt) throw new UsageError(`unknown option -${name}`);
    } else {
      pos.push(a);
      continue;
    }
    const label = `--${opt.name}`;
    if (opt.type === 'flag') {
      if (inline !== undefined) throw new UsageError(`${label} takes no value`);
      flags.add(opt.name);
      continue;
    }
    let v = inline;
    if (v === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`${label} needs a value (${opt.value ?? 'VALUE'})`);
      v = argv[++i];
    }
    if (opt.type === 'number' && !/^-?\d+(\.\d+)?$/.test(v)) throw new UsageError(`${label} needs a number, got "${v}"`);
    if (opt.choices && !opt.choices.includes(v)) {
      throw new UsageError(`${label} must be one of ${opt.choices.join(', ')}; got "${v}"`);
    }
    const list = values.get(opt.name) ?? [];
    if (list.length > 0 && !opt.repeatable) throw new UsageError(`${label} given more than once`);
    list.push(v);
    values.set(opt.name, list);
  }
  const positionals: Record<string, string | undefined> = {};
  let k = 0;
  for (const p of spec.positionals) {
    if (p.variadic) {
      const all = pos.slice(k);
      if (all.length === 0 && !p.optional) throw new UsageError(`missing ${p.name}`);
      positionals[p.name] = all.join('\0');
      k = pos.length;
      continue;
    }
    if (k >= pos.length) {
      if (!p.optional) throw new UsageError(`missing ${p.name}`);
      continue;
    }
    positionals[p.name] = pos[k++];
  }
  if (k < pos.length) throw new UsageError(`unexpected argument "${pos[k]}"`);
  return { positionals, rest, flags, values };
}

/** The values of a variadic positional. */
export function variadic(args: ParsedArgs, name: string): string[] {
  const v = args.positionals[name];
  return v === undefined || v === '' ? [] : v.split('\0');
}

export function usageLine(spec: CommandSpec): string {
  const parts = [`wasm-journal ${spec.name}`];
  for (const p of spec.positionals) {
    const n = p.variadic ? `${p.name}...` : p.name;
    parts.push(p.optional ? `[${n}]` : n);
  }
  if (spec.options.length > 0) parts.push('[options]');
  return parts.join(' ');
}

export function helpText(spec: CommandSpec): string {
  const lines = [`Usage: ${usageLine(spec)}`, '', spec.summary, ''];
  if (spec.positionals.length > 0) {
    lines.push('Arguments:');
    for (const p of spec.positionals) lines.push(`  ${p.name.padEnd(22)} ${p.help}`);
    lines.push('');
  }
  const opts = [...spec.options, { name: 'help', short: 'h', type: 'flag' as const, help: 'Show this help' }];
  lines.push('Options:');
  for (const o of opts) {
    const head = `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.type === 'flag' ? '' : ` ${o.value ?? 'VALUE'}`}`;
    let help = o.help;
    if (o.choices) help += ` (${o.choices.join('|')})`;
    if (o.repeatable) help += ' [repeatable]';
    lines.push(`  ${head.padEnd(24)} ${help}`);
  }
  if (spec.details) lines.push('', ...spec.details);
  return lines.join('\n') + '\n';
}
