/*
 * libfuzzer_main: the libFuzzer entry points over the fuzz.h interface.
 */
#include "fuzz.h"

#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fini(void) {
        sm_fuzz_fini();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void)argc;
        (void)argv;
        if (sm_fuzz_init() < 0)
                abort();
        (void)atexit(fini);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        return sm_fuzz_one(data, size);
}
