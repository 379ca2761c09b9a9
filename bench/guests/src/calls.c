/* A guest that makes many host calls (bench/debug.ts: travel to any point of a long recording, recording
 * overhead of a debug session). Each of N iterations reads the monotonic clock (one WASI call, one journal entry)
 * and stores into a 1 MiB table; every 1,000th also writes a line to stdout. Usage: calls [N] (default 100000).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint32_t table[1 << 18];

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 100000;
  uint32_t acc = 1;
  for (int i = 0; i < n; i++) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    acc = acc * 2654435761u + (uint32_t)ts.tv_nsec;
    for (int k = 0; k < 64; k++) table[(acc + (uint32_t)k * 977u) & ((1 << 18) - 1)] += (uint32_t)i;
    if (i % 1000 == 999) printf("iteration %d\n", i + 1);
  }
  uint32_t sum = 0;
  for (uint32_t i = 0; i < (1u << 18); i++) sum = sum * 31u + table[i];
  printf("calls %d, checksum %08x\n", n, sum);
  return 0;
}
