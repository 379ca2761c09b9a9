// fast-check arbitraries for journal entries, derived from the kind declarations (src/journal/entries.ts), so a new
// kind is round-tripped by the tests without writing anything here.

import fc from 'fast-check';
import { ALL_KINDS, type JournalEntry, type KindInfo } from '../../src/journal/entries';
import { ERRNO_NAMES, type FieldType } from '../../src/journal/schema';

const U64_MAX = (1n << 64n) - 1n;

export function arbitraryOf(f: FieldType): fc.Arbitrary<unknown> {
  switch (f.t) {
    case 'u8':
      return fc.integer({ min: 0, max: 0xff });
    case 'u16':
      return fc.integer({ min: 0, max: 0xffff });
    case 'u32':
      return fc.oneof(fc.constantFrom(0, 1, 2, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));
    case 'i32':
      return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'u64':
      return fc.oneof(fc.constantFrom(0n, 1n, U64_MAX, 1n << 53n), fc.bigInt({ min: 0n, max: U64_MAX }));
    case 'i64':
      return fc.oneof(fc.constantFrom(0n, -1n, -(1n << 63n), (1n << 63n) - 1n), fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }));
    case 'bool':
      return fc.boolean();
    case 'string':
      return fc.oneof(fc.constantFrom('', 'a/b.txt', '../x', 'ünï/code ✓'), fc.string({ maxLength: 24 }), fc.string({ unit: 'grapheme', maxLength: 8 }));
    case 'ip':
      return f.v === 6 ? fc.ipV6() : f.v === 4 ? fc.ipV4() : fc.oneof(fc.ipV4(), fc.ipV6());
    case 'sockaddr':
      return fc.oneof(
        fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 })).map(([ip, p]) => `${ip}:${p}`),
        fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 65535 })).map(([ip, p]) => `[${ip}]:${p}`),
      );
    case 'blob':
    case 'memblob':
    case 'bytearray':
      return fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        fc.integer({ min: 0, max: 5000 }).map((n) => new Uint8Array(n).fill(n & 0xff)),
      );
    case 'enum':
      return fc.constantFrom(...f.names);
    case 'flags':
      return f.repr === 'u64'
        ? fc.bigInt({ min: 0n, max: U64_MAX })
        : fc.integer({ min: 0, max: f.repr === 'u16' ? 0xffff : 0xffffffff });
    case 'option':
      return fc.option(arbitraryOf(f.inner), { nil: null });
    case 'struct': {
      const rec: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, ft] of Object.entries(f.fields)) rec[k] = arbitraryOf(ft);
      return fc.record(rec).map((o) => ({ ...o })); // plain objects, as the decoders make
    }
    case 'exitcode':
      return fc.oneof(
        fc.constantFrom(...ERRNO_NAMES).map((n) => ({ Errno: n })),
        fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((n) => ({ Other: n })),
      );
    case 'threadstart':
      return fc.oneof(
        fc.constant('main_thread'),
        fc.bigInt({ min: 0n, max: U64_MAX }).map((p) => ({ thread_spawn: { start_ptr: p } })),
      );
  }
}

export function arbitraryEntryOf(k: KindInfo): fc.Arbitrary<JournalEntry> {
  const rec: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, ft] of Object.entries(k.fields)) rec[name] = arbitraryOf(ft);
  return fc.record(rec).map((o) => ({ kind: k.name, ...o }) as unknown as JournalEntry);
}

/** Any entry of any kind. */
export const arbitraryEntry: fc.Arbitrary<JournalEntry> = fc.oneof(...ALL_KINDS.map(arbitraryEntryOf));
