/*  SPDX-License-Identifier: MPL-2.0
    Copyright (c) 2026 the Helios developers

    hl_learning - one arm per configured action, in config order, and a
    generator of its own (bus/hl_rand: xoshiro256** seeded through
    splitmix64) so draws never touch the global rand() and a fixed seed
    replays exactly. Beta draws are X / (X + Y) of two Marsaglia-Tsang
    Gamma draws (hl_rand_beta).
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

#include "../bus/hl_rand.h"
#include "../proto/hl_alloc.h"
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
    hl_rand_t rng;     /* Thompson draws; seeded, so replayable */
    uint64_t outcomes; /* recorded since creation: tells a saver what moved */
};

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
    hl_learning_t *self = (hl_learning_t *)hl_alloc (sizeof (hl_learning_t));
    self->config = config;
    self->arms_n = hl_config_actions_size (config);
    self->arms = (s_arm_t *)hl_calloc (self->arms_n, sizeof (s_arm_t));
    for (size_t i = 0; i < self->arms_n; i++) {
        self->arms[i].action = hl_config_action (config, i);
        self->arms[i].improvement = NAN;
    }
    hl_rand_seed (&self->rng, seed); /* 0: from the clock and the pid */
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
    return hl_rand_beta (&self->rng, (double)arm->successes + 1,
                         (double)arm->failures + 1);
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
    char *copy = hl_strdup (path);
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
    char *tmp = (char *)hl_alloc (tmp_size);
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
    data = (char *)hl_alloc (size + 1);
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
    arms = (s_arm_t *)hl_calloc (self->arms_n, sizeof (s_arm_t));
    memcpy (arms, self->arms, self->arms_n * sizeof (s_arm_t));
    const char *name;
    json_t *entry;
    json_object_foreach (actions, name, entry) {
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
