/* cpu benchmark guest: pure computation, no host calls in the loop, for measuring the engine itself
 * (a journaling runtime should add nothing here).
 *
 *   cpu.wasm [scale]      (default 100; about a second of work on a 2-core CI machine under V8)
 *
 * scale rounds of: 2.5 million steps of an integer hash chain (xorshift-multiply mixing) and one 64x64
 * integer matrix multiply. Prints an FNV-style checksum that depends on every round (deterministic).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N 64

static uint32_t a[N][N], b[N][N], c[N][N];

static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

int main(int argc, char **argv) {
  long scale = argc > 1 ? atol(argv[1]) : 100;
  if (scale < 1) scale = 1;
  uint64_t state = 0x9e3779b97f4a7c15ull;
  uint64_t sum = 1469598103934665603ull;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      a[i][j] = (uint32_t)mix((uint64_t)(i * N + j));
      b[i][j] = (uint32_t)mix((uint64_t)(j * N + i + 7));
    }
  for (long round = 0; round < scale; round++) {
    for (int s = 0; s < 2500000; s++) state = mix(state + (uint64_t)s);
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) {
        uint32_t acc = 0;
        for (int k = 0; k < N; k++) acc += a[i][k] * b[k][j];
        c[i][j] = acc;
      }
    /* feed the result back so that every round depends on the previous one */
    a[round % N][(round * 7) % N] ^= c[(round * 3) % N][(round * 5) % N] ^ (uint32_t)state;
    sum = (sum ^ c[round % N][(round * 11) % N] ^ state) * 1099511628211ull;
  }
  printf("cpu: scale %ld, checksum %016llx\n", scale, (unsigned long long)sum);
  return 0;
}
