/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_rand - xoshiro256** with the distributions Helios draws from.
*/
#include <math.h>
#include <sys/time.h>
#include <unistd.h>

#include "hl_rand.h"

uint64_t
hl_rand_splitmix (uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void
hl_rand_seed (hl_rand_t *self, uint64_t seed)
{
    if (seed == 0) {
        struct timeval tv;
        gettimeofday (&tv, NULL);
        seed = ((uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec)
               ^ ((uint64_t)getpid () << 40);
    }
    //  splitmix64 spreads any seed over the state; an all-zero state is
    //  next to impossible, but xoshiro would be stuck there
    for (int i = 0; i < 4; i++)
        self->s[i] = hl_rand_splitmix (&seed);
    if (!(self->s[0] | self->s[1] | self->s[2] | self->s[3]))
        self->s[0] = 1;
    self->has_spare = false;
    self->spare = 0;
}

static uint64_t
s_rotl (uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t
hl_rand_next (hl_rand_t *self)
{
    uint64_t *s = self->s;
    uint64_t result = s_rotl (s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s_rotl (s[3], 45);
    return result;
}

//  The top 53 bits, centred in their interval
double
hl_rand_uniform (hl_rand_t *self)
{
    return ((double)(hl_rand_next (self) >> 11) + 0.5) * 0x1p-53;
}

double
hl_rand_normal (hl_rand_t *self)
{
    if (self->has_spare) {
        self->has_spare = false;
        return self->spare;
    }
    double u, v, s;
    do {
        u = 2 * hl_rand_uniform (self) - 1;
        v = 2 * hl_rand_uniform (self) - 1;
        s = u * u + v * v;
    } while (s >= 1 || s == 0);
    double f = sqrt (-2 * log (s) / s);
    self->spare = v * f;
    self->has_spare = true;
    return u * f;
}

double
hl_rand_gamma (hl_rand_t *self, double shape)
{
    if (!(shape > 0))
        return NAN;
    if (shape < 1) {
        //  the U^(1/a) boost of a draw at shape + 1
        double u = hl_rand_uniform (self);
        return hl_rand_gamma (self, shape + 1) * pow (u, 1 / shape);
    }
    double d = shape - 1.0 / 3;
    double c = 1 / sqrt (9 * d);
    while (1) {
        double x, v;
        do {
            x = hl_rand_normal (self);
            v = 1 + c * x;
        } while (v <= 0);
        v = v * v * v;
        double u = hl_rand_uniform (self);
        double x2 = x * x;
        if (u < 1 - 0.0331 * x2 * x2)
            return d * v;
        if (log (u) < 0.5 * x2 + d * (1 - v + log (v)))
            return d * v;
    }
}

double
hl_rand_beta (hl_rand_t *self, double a, double b)
{
    double x = hl_rand_gamma (self, a);
    double y = hl_rand_gamma (self, b);
    return x + y > 0 ? x / (x + y) : 0.5;
}
