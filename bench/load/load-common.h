/*
 * What the load generators share: the clocks and the command-line walk.
 * Each generator defines `usage()` before including this file.
 */
#ifndef PROACTOR_LOAD_COMMON_H
#define PROACTOR_LOAD_COMMON_H

#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static void usage(void);

/* CPU seconds (user + system) this process has used. */
static double cpu_s(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec * 1e-6;
}

/* Monotonic seconds. */
static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The value after option argv[*i], stepping past it; usage() when there is none. */
static const char *arg_value(int argc, char **argv, int *i) {
  if (*i + 1 >= argc) usage();
  *i += 1;
  return argv[*i];
}

#endif
