/* notes: the bundled example program (`npm start` runs it under wasm-journal).
 *
 * Keeps a small notes file in /notes: reads it if it is there, appends a line with a random id and the time,
 * rewrites a summary file, renames a draft, and prints what it did. Everything it changes and every input it takes
 * (the clock, random bytes, the files it reads) goes into the journal, so the run can be restored and replayed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

static int count_lines(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  int n = 0, c;
  while ((c = fgetc(f)) != EOF)
    if (c == '\n') n++;
  fclose(f);
  return n;
}

int main(int argc, char **argv) {
  const char *who = argc > 1 ? argv[1] : "world";
  mkdir("/notes", 0755);
  int before = count_lines("/notes/notes.txt");

  unsigned char id[4];
  if (getentropy(id, sizeof id) != 0) return 1;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);

  FILE *f = fopen("/notes/notes.txt", "a");
  if (!f) {
    perror("notes.txt");
    return 1;
  }
  fprintf(f, "note %d for %s, id %02x%02x%02x%02x, at %lld\n", before + 1, who, id[0], id[1], id[2], id[3], (long long)ts.tv_sec);
  fclose(f);

  FILE *d = fopen("/notes/draft.txt", "w");
  fprintf(d, "%d notes\n", before + 1);
  fclose(d);
  rename("/notes/draft.txt", "/notes/summary.txt");

  printf("hello, %s: %d note(s) in /notes/notes.txt\n", who, before + 1);
  return 0;
}
