/* fileio benchmark guest: many small file operations, for measuring a runtime's syscall overhead (and
 * the cost of journaling them).
 *
 *   fileio.wasm [count]      (default 200)
 *
 * count times: create/truncate /sandbox/bench-<i % 8>.dat, write it with 64 writes of 64 bytes, seek
 * back to the start, read it back with 64 reads of 64 bytes, close it. Prints the number of operations
 * and an FNV-1a checksum of everything read (deterministic for a given count). Needs /sandbox (fd 3).
 * Uses raw wasi_snapshot_preview1 calls so each operation is exactly one host call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define WRITES 64
#define CHUNK 64

int main(int argc, char **argv) {
  long count = argc > 1 ? atol(argv[1]) : 200;
  if (count < 1) count = 1;
  uint32_t h = 2166136261u;
  unsigned long long calls = 0;
  uint8_t buf[CHUNK];
  const __wasi_rights_t rights = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK |
                                 __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET;
  for (long i = 0; i < count; i++) {
    char name[32];
    snprintf(name, sizeof name, "bench-%ld.dat", i % 8);
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(3, 0, name, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, rights, rights, 0, &fd);
    calls++;
    if (e != 0) {
      printf("path_open %s failed: errno %u\n", name, e);
      return 1;
    }
    for (int w = 0; w < WRITES; w++) {
      for (int k = 0; k < CHUNK; k++) buf[k] = (uint8_t)(i * 31 + w * 7 + k);
      __wasi_ciovec_t iov = {.buf = buf, .buf_len = CHUNK};
      __wasi_size_t n;
      if (__wasi_fd_write(fd, &iov, 1, &n) != 0 || n != CHUNK) {
        printf("fd_write failed\n");
        return 1;
      }
      calls++;
    }
    __wasi_filesize_t pos;
    __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos);
    calls++;
    for (int r = 0; r < WRITES; r++) {
      __wasi_iovec_t iov = {.buf = buf, .buf_len = CHUNK};
      __wasi_size_t n = 0;
      if (__wasi_fd_read(fd, &iov, 1, &n) != 0 || n != CHUNK) {
        printf("fd_read failed\n");
        return 1;
      }
      calls++;
      for (int k = 0; k < CHUNK; k++) {
        h ^= buf[k];
        h *= 16777619u;
      }
    }
    __wasi_fd_close(fd);
    calls++;
  }
  for (int i = 0; i < 8 && i < count; i++) {
    char name[32];
    snprintf(name, sizeof name, "bench-%d.dat", i);
    __wasi_path_unlink_file(3, name);
  }
  printf("fileio: %ld files, %llu calls, checksum %08x\n", count, calls, (unsigned)h);
  return 0;
}
