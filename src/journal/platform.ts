// What the code may ask of the platform it runs on. Linux gives more than the others: /proc (where a descriptor
// really is, a second open of a pipe) and prebuilt native modules; elsewhere, or with WASM_JOURNAL_PORTABLE=1 (so
// the portable paths are tested on Linux too), the portable ways are taken: paths checked component by component,
// stdin read on a thread, LZ4 and CRC-32C in JavaScript.

/** True when the portable ways are forced (WASM_JOURNAL_PORTABLE=1). */
export function forcedPortable(): boolean {
  return process.env.WASM_JOURNAL_PORTABLE === '1';
}
