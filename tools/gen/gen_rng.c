/*
 * gen_rng: the generator's own pseudo-random numbers.
 *
 * rand() differs between C libraries and has hidden global state, so the
 * generator carries its own: xoshiro256** (Blackman and Vigna) for the
 * sequential draws of one store's traits, seeded through splitmix64, and
 * the splitmix64 finaliser (gen.h) as a hash for counter-based draws.
 * Everything is exact integer arithmetic except the duration draws, which
 * go through log1p()/log()/exp(): output is byte-identical for a given
 * build and C library; another libm could round a last bit differently
 * and move an outage edge by a microsecond.
 */
#include "gen.h"

#include <math.h>

void sm_gen_rng_seed(sm_gen_rng_t *rng, uint64_t seed) {
        for (int i = 0; i < 4; i++) {
                seed += UINT64_C(0x9e3779b97f4a7c15);
                rng->s[i] = sm_gen_mix(seed);
        }
        if (!(rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]))
                rng->s[0] = 1;
}

static inline uint64_t rotl(uint64_t x, int k) {
        return (x << k) | (x >> (64 - k));
}

uint64_t sm_gen_rng_next(sm_gen_rng_t *rng) {
        uint64_t *s        = rng->s;
        const uint64_t res = rotl(s[1] * 5, 7) * 9;
        const uint64_t t   = s[1] << 17;

        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return res;
}

double sm_gen_rng_unit(sm_gen_rng_t *rng) {
        return (double)(sm_gen_rng_next(rng) >> 11) * 0x1.0p-53;
}

uint64_t sm_gen_rng_below(sm_gen_rng_t *rng, uint64_t n) {
        /* Lemire's nearly divisionless method would be faster; the modulo
         * bias of a 64-bit draw is below 2^-40 for our n. */
        return sm_gen_rng_next(rng) % n;
}

sm_usec_t sm_gen_rng_exp(sm_gen_rng_t *rng, sm_usec_t mean) {
        double u = sm_gen_rng_unit(rng);
        return (sm_usec_t)(-log1p(-u) * (double)mean);
}

sm_usec_t sm_gen_rng_loguniform(sm_gen_rng_t *rng, sm_usec_t lo, sm_usec_t hi) {
        double u = sm_gen_rng_unit(rng);
        return (sm_usec_t)((double)lo * exp(u * log((double)hi / (double)lo)));
}

size_t sm_gen_rng_pick(sm_gen_rng_t *rng, const unsigned *weights, size_t n) {
        uint64_t total = 0, r;
        size_t i;

        for (i = 0; i < n; i++)
                total += weights[i];
        r = sm_gen_rng_below(rng, total);
        for (i = 0; i + 1 < n; i++) {
                if (r < weights[i])
                        return i;
                r -= weights[i];
        }
        return n - 1;
}

uint64_t sm_gen_hash_bytes(const char *s, size_t len) {
        uint64_t h = UINT64_C(0xcbf29ce484222325);
        for (size_t i = 0; i < len; i++) {
                h ^= (unsigned char)s[i];
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}
