/*
 * fuzz: the interface every fuzz target implements.
 *
 * A target is one file tests/fuzz/fuzz_<name>.c with three functions.
 * The same object is linked twice: with libfuzzer_main.c into a libFuzzer
 * executable (SM_FUZZ=ON, clang), and with replay_main.c into a plain
 * program that runs sm_fuzz_one() over every file of the committed corpus
 * and regressions (a CTest test in every build, so an ASan build replays
 * them each time without libFuzzer).
 *
 * A target must be deterministic and must not keep state between inputs
 * beyond what sm_fuzz_init() builds; everything an input allocates is
 * freed before sm_fuzz_one() returns (LeakSanitizer checks it).
 */
#ifndef SM_FUZZ_H
#define SM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/** @brief One-time setup (e.g. a codec).  @returns 0, or -1 to abort. */
int sm_fuzz_init(void);

/** @brief Runs the target over one input.  @returns 0 (libFuzzer wants
 *  0; a bug shows as a sanitizer report or an abort). */
int sm_fuzz_one(const uint8_t *data, size_t size);

/** @brief Frees what sm_fuzz_init() built. */
void sm_fuzz_fini(void);

/** @brief A volatile sink so the compiler keeps reads of every byte a
 *  parser hands back (ASan then checks they are in bounds). */
void sm_fuzz_touch(const void *p, size_t len);

#endif
