/* A 64 MiB guest that takes many snapshots (bench/snapshot.ts, restoring snapshot k of 1,000).
 *
 * It fills a 64 MiB heap sparsely (one word in every 4 KiB), then changes 64 KiB of it before each of N explicit
 * snapshots (wasix_32v1.proc_snapshot), and at the end prints a checksum of the heap, so a run resumed from any
 * snapshot can be checked against an uninterrupted one. Usage: snapmem [N] (default 1000).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((import_module("wasix_32v1"), import_name("proc_snapshot"))) int proc_snapshot(void);

#define HEAP (64u << 20)
#define PIECE (64u << 10)

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  uint8_t *heap = malloc(HEAP);
  if (!heap) {
    puts("out of memory");
    return 1;
  }
  memset(heap, 0, HEAP);
  uint32_t x = 7;
  for (uint32_t i = 0; i < HEAP; i += 4096) {
    x = x * 1103515245u + 12345u;
    heap[i] = (uint8_t)x;
  }
  uint32_t pieces = HEAP / PIECE;
  for (int i = 0; i < n; i++) {
    memset(heap + (uint32_t)i % pieces * PIECE, i & 0xff, PIECE);
    proc_snapshot();
  }
  uint32_t sum = 0;
  for (uint32_t i = 0; i < HEAP; i += 64) sum = sum * 31u + heap[i];
  printf("snapshots %d, checksum %08x\n", n, sum);
  return 0;
}
