/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_rand - the one pseudo-random generator: xoshiro256** (Blackman and
    Vigna), seeded through splitmix64, so that a seed gives the same
    sequence everywhere (tests, learning's Thompson draws, the demo's
    noise, jitter). Not for secrets. A plain value: embed it, seed it.
*/
#ifndef HL_RAND_H
#define HL_RAND_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];  /* xoshiro256** state, never all zero */
    bool has_spare; /* the polar method makes normals in pairs */
    double spare;
} hl_rand_t;

/*  Seed; 0 takes a seed from the clock and the pid. */
void hl_rand_seed (hl_rand_t *self, uint64_t seed);

/*  The next 64 random bits. */
uint64_t hl_rand_next (hl_rand_t *self);

/*  Uniform on the open interval (0, 1): never 0, so log() is safe. */
double hl_rand_uniform (hl_rand_t *self);

/*  Standard normal (Marsaglia's polar method). */
double hl_rand_normal (hl_rand_t *self);

/*  Gamma(shape, 1), shape > 0 (Marsaglia and Tsang). */
double hl_rand_gamma (hl_rand_t *self, double shape);

/*  Beta(a, b), a, b > 0. */
double hl_rand_beta (hl_rand_t *self, double a, double b);

/*  splitmix64's step: advances *state and returns a well-mixed value. */
uint64_t hl_rand_splitmix (uint64_t *state);

#endif
