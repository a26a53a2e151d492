/*
 * touch: sm_fuzz_touch(), shared by every target.
 */
#include "fuzz.h"

static volatile uint8_t sink;

void sm_fuzz_touch(const void *p, size_t len) {
        const uint8_t *b = p;
        uint8_t acc      = 0;

        if (!p)
                return;
        for (size_t i = 0; i < len; i++)
                acc ^= b[i];
        sink ^= acc;
}
