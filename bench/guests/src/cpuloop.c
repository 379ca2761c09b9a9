/* cpuloop benchmark guest: a CPU-bound loop in main, after main has read stdin (so main is on the stack at a
 * first-stdin snapshot and is instrumented), calling small helpers. Built twice: as is (the helpers stay calls),
 * and through wasm-opt -O2 at link time (cpuloop-opt.c: wasm-opt inlines them into main, as many toolchains ship),
 * for the cost of asyncify on a hot loop that must be instrumented.
 *
 *   echo 30 | cpuloop.wasm     (the line read is the scale: rounds of a million steps; default 30)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

__attribute__((noinline)) static uint32_t rot(uint32_t v, int r) { return (v << r) | (v >> (32 - r)); }

static uint32_t tab[4096];

int main(void) {
  char line[64];
  long scale = 30;
  if (fgets(line, sizeof line, stdin) && atol(line) > 0) scale = atol(line);
  uint64_t state = 0x9e3779b97f4a7c15ull;
  uint32_t h = 2166136261u;
  for (long round = 0; round < scale; round++) {
    for (int s = 0; s < 1000000; s++) {
      state = mix(state + (uint64_t)s);
      tab[s & 4095] ^= (uint32_t)state;
      h = rot(h ^ tab[(s * 7) & 4095], (s & 15) + 1) * 16777619u;
    }
  }
  printf("%llu %u\n", (unsigned long long)state, h);
  return 0;
}
