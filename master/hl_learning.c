/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_learning - one arm per configured action, in config order, and a
    private xoshiro256** generator (seeded through splitmix64) so draws
    never touch the global rand() and a fixed seed replays exactly.
    Beta draws are X / (X + Y) of two Marsaglia-Tsang Gamma draws.
*/
#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../proto/hl_err.h"
#include "hl_learning.h"

#define S_FILE_VERSION 1
#define S_FILE_MAX (1024 * 1024) /* a learning file is a few KiB */

typedef struct {
    const hl_config_action_t *action; /* borrowed from the config */
    uint64_t successes;
    uint64_t failures;
    uint64_t measured;  /* improvements behind the mean */
    double improvement; /* running mean; meaningless while measured = 0 */
} s_arm_t;

struct _hl_learning_t {
    const hl_config_t *config; /* borrowed */
    s_arm_t *arms;             /* config order */
    size_t arms_n;
    uint64_t rng[4]; /* xoshiro256** state, never all zero */
    bool has_spare;  /* the polar method makes normals in pairs */
    double spare;
    uint64_t outcomes; /* recorded since creation: tells a saver what moved */
};

//  ---------------------------------------------------------------------
//  Generator

static uint64_t
s_splitmix64 (uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t
s_rotl (uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t
s_next (hl_learning_t *self)
{
    uint64_t *s = self->rng;
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

//  Uniform on the open interval (0, 1): the top 53 bits, centred, so a
//  log() of it is always finite
static double
s_uniform (hl_learning_t *self)
{
    return ((double)(s_next (self) >> 11) + 0.5) * 0x1p-53;
}

//  Standard normal by Marsaglia's polar method
static double
s_normal (hl_learning_t *self)
{
    if (self->has_spare) {
        self->has_spare = false;
        return self->spare;
    }
    double u, v, s;
    do {
        u = 2 * s_uniform (self) - 1;
        v = 2 * s_uniform (self) - 1;
        s = u * u + v * v;
    } while (s >= 1 || s == 0);
    double f = sqrt (-2 * log (s) / s);
    self->spare = v * f;
    self->has_spare = true;
    return u * f;
}

//  Gamma(shape, 1) by Marsaglia and Tsang (2000). Shapes here are
//  counts + 1 >= 1; a smaller one would use the U^(1/a) boost.
static double
s_gamma (hl_learning_t *self, double shape)
{
    if (shape < 1) {
        double u = s_uniform (self);
        return s_gamma (self, shape + 1) * pow (u, 1 / shape);
    }
    double d = shape - 1.0 / 3;
    double c = 1 / sqrt (9 * d);
    while (true) {
        double x, v;
        do {
            x = s_normal (self);
            v = 1 + c * x;
        } while (v <= 0);
        v = v * v * v;
        double u = s_uniform (self);
        double x2 = x * x;
        if (u < 1 - 0.0331 * x2 * x2)
            return d * v;
        if (log (u) < 0.5 * x2 + d * (1 - v + log (v)))
            return d * v;
    }
}

static double
s_beta (hl_learning_t *self, double a, double b)
{
    double x = s_gamma (self, a);
    double y = s_gamma (self, b);
    //  Both are > 0 for shapes >= 1 (d > 0, v > 0)
    return x / (x + y);
}

//  ---------------------------------------------------------------------
//  Arms

static s_arm_t *
s_arm (const hl_learning_t *self, const char *action)
{
    if (!action)
        return NULL;
    for (size_t i = 0; i < self->arms_n; i++)
        if (streq (self->arms[i].action->name, action))
            return &self->arms[i];
    return NULL;
}

hl_learning_t *
hl_learning_new (const hl_config_t *config, uint64_t seed)
{
    if (!config)
        return NULL;
    hl_learning_t *self = (hl_learning_t *)zmalloc (sizeof (hl_learning_t));
    self->config = config;
    self->arms_n = hl_config_actions_size (config);
    self->arms = (s_arm_t *)zmalloc ((self->arms_n ? self->arms_n : 1)
                                     * sizeof (s_arm_t));
    for (size_t i = 0; i < self->arms_n; i++) {
        self->arms[i].action = hl_config_action (config, i);
        self->arms[i].improvement = NAN;
    }
    if (seed == 0)
        seed = (uint64_t)zclock_usecs () ^ ((uint64_t)getpid () << 40);
    //  splitmix64 spreads any seed over the state; the chance of an
    //  all-zero state is nil, but xoshiro would be stuck there
    for (int i = 0; i < 4; i++)
        self->rng[i] = s_splitmix64 (&seed);
    if (!(self->rng[0] | self->rng[1] | self->rng[2] | self->rng[3]))
        self->rng[0] = 1;
    return self;
}

void
hl_learning_destroy (hl_learning_t **self_p)
{
    assert (self_p);
    hl_learning_t *self = *self_p;
    if (!self)
        return;
    free (self->arms);
    free (self);
    *self_p = NULL;
}

int
hl_learning_record (hl_learning_t *self, const char *action, bool success,
                    double improvement)
{
    assert (self);
    s_arm_t *arm = s_arm (self, action);
    if (!arm)
        return -1;
    if (success)
        arm->successes++;
    else
        arm->failures++;
    self->outcomes++;
    if (isfinite (improvement)) {
        //  Welford's running mean: no sum to overflow or lose precision
        arm->measured++;
        if (arm->measured == 1)
            arm->improvement = improvement;
        else
            arm->improvement
                += (improvement - arm->improvement) / (double)arm->measured;
    }
    return 0;
}

double
hl_learning_sample (hl_learning_t *self, const char *action)
{
    assert (self);
    const s_arm_t *arm = s_arm (self, action);
    if (!arm)
        return 0.5;
    return s_beta (self, (double)arm->successes + 1, (double)arm->failures + 1);
}

double
hl_learning_p (const hl_learning_t *self, const char *action)
{
    assert (self);
    const s_arm_t *arm = s_arm (self, action);
    if (!arm)
        return 0.5;
    return ((double)arm->successes + 1)
           / ((double)arm->successes + (double)arm->failures + 2);
}

double
hl_learning_improvement (const hl_learning_t *self, const char *action)
{
    assert (self);
    const s_arm_t *arm = s_arm (self, action);
    return arm && arm->measured ? arm->improvement : NAN;
}

uint64_t
hl_learning_successes (const hl_learning_t *self, const char *action)
{
    assert (self);
    const s_arm_t *arm = s_arm (self, action);
    return arm ? arm->successes : 0;
}

uint64_t
hl_learning_failures (const hl_learning_t *self, const char *action)
{
    assert (self);
    const s_arm_t *arm = s_arm (self, action);
    return arm ? arm->failures : 0;
}

hl_value_t *
hl_learning_to_value (const hl_learning_t *self)
{
    assert (self);
    hl_value_t *map = hl_value_new_map ();
    for (size_t i = 0; i < self->arms_n; i++) {
        const s_arm_t *arm = &self->arms[i];
        hl_value_t *entry = hl_value_new_map ();
        hl_value_t *v = hl_value_new_uint (arm->successes);
        hl_value_set (entry, "successes", &v);
        v = hl_value_new_uint (arm->failures);
        hl_value_set (entry, "failures", &v);
        hl_value_set_double (entry, "p",
                             hl_learning_p (self, arm->action->name));
        v = arm->measured ? hl_value_new_double (arm->improvement)
                          : hl_value_new_nil ();
        hl_value_set (entry, "improvement", &v);
        v = hl_value_new_uint (arm->successes + arm->failures);
        hl_value_set (entry, "n", &v);
        v = hl_value_new_uint (arm->measured);
        hl_value_set (entry, "measured", &v);
        hl_value_set (map, arm->action->name, &entry);
    }
    return map;
}

//  ---------------------------------------------------------------------
//  Persistence: {"version": 1, "actions": <hl_learning_to_value>}

static int
s_write_all (int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t rc = write (fd, data, size);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return -1;
        data += rc;
        size -= (size_t)rc;
    }
    return 0;
}

//  The rename is only durable once the folder itself is synced; a
//  failure here loses nothing already written, so it is best effort
static void
s_sync_dir (const char *path)
{
    char *copy = strdup (path);
    if (!copy)
        return;
    int fd = open (dirname (copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync (fd);
        close (fd);
    }
    free (copy);
}

uint64_t
hl_learning_outcomes (const hl_learning_t *self)
{
    assert (self);
    return self->outcomes;
}

int
hl_learning_save (const hl_learning_t *self, const char *path)
{
    assert (self);
    if (!path || !*path)
        return HL_ERR_IO;
    hl_value_t *root = hl_value_new_map ();
    hl_value_set_int (root, "version", S_FILE_VERSION);
    hl_value_t *actions = hl_learning_to_value (self);
    hl_value_set (root, "actions", &actions);
    json_t *json = hl_value_to_json (root);
    hl_value_destroy (&root);
    char *text = json ? json_dumps (json, JSON_INDENT (2)) : NULL;
    json_decref (json);

    int rc = HL_ERR_IO;
    int fd = -1;
    size_t tmp_size = strlen (path) + sizeof ".tmp.XXXXXX";
    char *tmp = (char *)zmalloc (tmp_size);
    snprintf (tmp, tmp_size, "%s.tmp.XXXXXX", path);
    if (!text)
        goto fail;
    fd = mkstemp (tmp);
    if (fd < 0) {
        *tmp = 0; //  nothing to unlink
        goto fail;
    }
    if (s_write_all (fd, text, strlen (text)) || s_write_all (fd, "\n", 1)
        || fsync (fd))
        goto fail;
    if (close (fd)) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename (tmp, path))
        goto fail;
    *tmp = 0;
    s_sync_dir (path);
    rc = 0;
fail:
    if (fd >= 0)
        close (fd);
    if (*tmp)
        unlink (tmp);
    free (tmp);
    free (text);
    return rc;
}

//  A JSON count: an integer >= 0
static int
s_count (const json_t *json, uint64_t *out)
{
    if (!json_is_integer (json) || json_integer_value (json) < 0)
        return -1;
    *out = (uint64_t)json_integer_value (json);
    return 0;
}

//  Check one entry and fill arm's figures (action untouched)
static int
s_parse_entry (const json_t *entry, s_arm_t *arm)
{
    if (!json_is_object (entry)
        || s_count (json_object_get (entry, "successes"), &arm->successes)
        || s_count (json_object_get (entry, "failures"), &arm->failures))
        return -1;
    const json_t *imp = json_object_get (entry, "improvement");
    arm->measured = 0;
    arm->improvement = NAN;
    if (!imp || json_is_null (imp))
        return 0;
    if (!json_is_number (imp) || !isfinite (json_number_value (imp)))
        return -1;
    arm->improvement = json_number_value (imp);
    const json_t *measured = json_object_get (entry, "measured");
    if (measured && s_count (measured, &arm->measured))
        return -1;
    //  A mean stands for at least one measurement
    if (arm->measured == 0)
        arm->measured = 1;
    return 0;
}

int
hl_learning_load (hl_learning_t *self, const char *path)
{
    assert (self);
    if (!path || !*path)
        return HL_ERR_IO;
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : HL_ERR_IO;

    int rc = HL_ERR_IO;
    char *data = NULL;
    json_t *json = NULL;
    s_arm_t *arms = NULL;
    struct stat st;
    if (fstat (fd, &st) || !S_ISREG (st.st_mode))
        goto fail;
    if (st.st_size > S_FILE_MAX) {
        rc = HL_ERR_TOO_BIG;
        goto fail;
    }
    size_t size = (size_t)st.st_size;
    data = (char *)zmalloc (size + 1);
    size_t got = 0;
    while (got < size) {
        ssize_t n = read (fd, data + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto fail;
        if (n == 0)
            break; //  shrank under us: parse what is there
        got += (size_t)n;
    }

    //  Parse everything into a copy first, so a bad entry anywhere
    //  leaves the state as it was
    rc = HL_ERR_MALFORMED;
    json = json_loadb (data, got, JSON_REJECT_DUPLICATES, NULL);
    const json_t *version = json_object_get (json, "version");
    json_t *actions = json_object_get (json, "actions");
    if (!json_is_object (json) || !json_is_integer (version)
        || json_integer_value (version) != S_FILE_VERSION
        || !json_is_object (actions))
        goto fail;
    arms = (s_arm_t *)zmalloc ((self->arms_n ? self->arms_n : 1)
                               * sizeof (s_arm_t));
    memcpy (arms, self->arms, self->arms_n * sizeof (s_arm_t));
    const char *name;
    json_t *entry;
    json_object_foreach (actions, name, entry)
    {
        s_arm_t parsed;
        if (s_parse_entry (entry, &parsed))
            goto fail;
        s_arm_t *arm = s_arm (self, name);
        if (!arm)
            continue; //  no longer configured
        parsed.action = arm->action;
        arms[arm - self->arms] = parsed;
    }
    memcpy (self->arms, arms, self->arms_n * sizeof (s_arm_t));
    rc = 0;
fail:
    free (arms);
    json_decref (json);
    free (data);
    close (fd);
    return rc;
}
