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

/*  1 had no effects, quarantine or solo; up to 2, "improvement" was the
    first verify metric's effect, which could disagree with the verdict:
    a file before 3 loads without it (its counts kept), and it is
    measured again from there (hl_decide_improvement) */
#define S_FILE_VERSION 3
#define S_FILE_MAX (1024 * 1024) /* a learning file is a few KiB */
#define S_MIN_SPREAD                                                           \
    0.1 /* the prior spread of one measured effect, at                         \
           least: an expected effect of 0 is no                                \
           certainty */

/*  What was measured of an action's effect on one target metric. */
typedef struct {
    uint64_t n;  /* measurements */
    double mean; /* their mean, meaningless while n = 0 */
    double m2;   /* sum of squared deviations (Welford) */
} s_effect_t;

typedef struct {
    const hl_config_action_t *action; /* borrowed from the config */
    uint64_t successes;
    uint64_t failures;
    uint64_t measured;   /* improvements behind the mean */
    double improvement;  /* running mean; meaningless while measured = 0 */
    uint64_t trials;     /* judged applications, any verdict */
    int64_t until_us;    /* quarantined until, 0 if never */
    uint64_t repeats;    /* quarantines so far */
    bool solo;           /* must run alone next */
    s_effect_t *effects; /* one per improves[], same order */
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
        s_arm_t *arm = &self->arms[i];
        arm->action = hl_config_action (config, i);
        arm->improvement = NAN;
        arm->effects = (s_effect_t *)hl_calloc (arm->action->improves_n,
                                                sizeof (s_effect_t));
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
    for (size_t i = 0; i < self->arms_n; i++)
        free (self->arms[i].effects);
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

/*  The index of metric in arm's targets, or -1. */
static int
s_target (const s_arm_t *arm, const char *metric)
{
    for (size_t i = 0; metric && arm->action && i < arm->action->improves_n;
         i++)
        if (streq (arm->action->improves[i], metric))
            return (int)i;
    return -1;
}

int
hl_learning_effect (hl_learning_t *self, const char *action, const char *metric,
                    double improvement)
{
    assert (self);
    s_arm_t *arm = s_arm (self, action);
    int t = arm ? s_target (arm, metric) : -1;
    if (t < 0)
        return -1;
    if (!isfinite (improvement))
        return 0;
    s_effect_t *e = &arm->effects[t];
    e->n++;
    double delta = improvement - e->mean;
    e->mean += delta / (double)e->n;
    e->m2 += delta * (improvement - e->mean);
    self->outcomes++;
    return 0;
}

/*  The posterior of a normal mean whose prior is the config's expected
    worth kappa0 observations of spread s0 (a normal-inverse-gamma in
    spirit): the mean moves from the prior to what was measured as
    measurements pile up, and the spread pools the prior's, the
    measurements' and their disagreement with the prior. */
static void
s_posterior (const s_arm_t *arm, const s_effect_t *e, double kappa0,
             double *mean, double *sd)
{
    double mu0 = arm->action->expected;
    double s0 = fabs (mu0) > S_MIN_SPREAD ? fabs (mu0) : S_MIN_SPREAD;
    double n = (double)e->n;
    double kappa = kappa0 + n;
    if (kappa <= 0) {
        *mean = mu0;
        *sd = s0;
        return;
    }
    double xbar = e->n ? e->mean : 0;
    *mean = (kappa0 * mu0 + n * xbar) / kappa;
    double var
        = (kappa0 * s0 * s0 + e->m2
           + (e->n ? kappa0 * n * (xbar - mu0) * (xbar - mu0) / kappa : 0))
          / kappa;
    *sd = sqrt (var / kappa);
}

int
hl_learning_effect_posterior (const hl_learning_t *self, const char *action,
                              const char *metric, double *mean, double *sd,
                              uint64_t *n)
{
    assert (self);
    const s_arm_t *arm = s_arm (self, action);
    int t = arm ? s_target (arm, metric) : -1;
    if (t < 0)
        return -1;
    double m, d;
    s_posterior (arm, &arm->effects[t],
                 hl_config_cycle (self->config)->prior_weight, &m, &d);
    if (mean)
        *mean = m;
    if (sd)
        *sd = d;
    if (n)
        *n = arm->effects[t].n;
    return 0;
}

double
hl_learning_effect_sample (hl_learning_t *self, const char *action,
                           const char *metric, bool exploit)
{
    double mean, sd;
    if (hl_learning_effect_posterior (self, action, metric, &mean, &sd, NULL))
        return NAN;
    return exploit ? mean : mean + sd * hl_rand_normal (&self->rng);
}

int64_t
hl_learning_quarantine (hl_learning_t *self, const char *action, int64_t now_us)
{
    assert (self);
    s_arm_t *arm = s_arm (self, action);
    int64_t base = (int64_t)hl_config_cycle (self->config)->quarantine;
    if (!arm || base <= 0)
        return 0;
    //  Doubling, up to a year: a shift past that would overflow
    int64_t seconds = base;
    for (uint64_t i = 0; i < arm->repeats && seconds < 366 * 86400; i++)
        seconds *= 2;
    arm->repeats++;
    arm->until_us = now_us + seconds * 1000000;
    self->outcomes++;
    return arm->until_us;
}

int64_t
hl_learning_quarantined (const hl_learning_t *self, const char *action,
                         int64_t now_us)
{
    assert (self);
    const s_arm_t *arm = s_arm (self, action);
    return arm && arm->until_us > now_us ? arm->until_us : 0;
}

int
hl_learning_release (hl_learning_t *self, const char *action)
{
    assert (self);
    s_arm_t *arm = s_arm (self, action);
    if (!arm)
        return -1;
    arm->until_us = 0;
    self->outcomes++;
    return 0;
}

bool
hl_learning_solo (const hl_learning_t *self, const char *action)
{
    assert (self);
    const s_arm_t *arm = s_arm (self, action);
    return arm && arm->solo;
}

void
hl_learning_set_solo (hl_learning_t *self, const char *action, bool solo)
{
    assert (self);
    s_arm_t *arm = s_arm (self, action);
    if (arm && arm->solo != solo) {
        arm->solo = solo;
        self->outcomes++;
    }
}

void
hl_learning_tried (hl_learning_t *self, const char *action)
{
    assert (self);
    s_arm_t *arm = s_arm (self, action);
    if (arm) {
        arm->trials++;
        self->outcomes++;
    }
}

uint64_t
hl_learning_trials (const hl_learning_t *self, const char *action)
{
    assert (self);
    const s_arm_t *arm = s_arm (self, action);
    return arm ? arm->trials : 0;
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

/*  {metric: {prior, prior_weight, measured_mean, n, m2, mean, sd}} */
static hl_value_t *
s_effects_value (const hl_learning_t *self, const s_arm_t *arm)
{
    double kappa0 = hl_config_cycle (self->config)->prior_weight;
    hl_value_t *map = hl_value_new_map ();
    for (size_t t = 0; t < arm->action->improves_n; t++) {
        const s_effect_t *e = &arm->effects[t];
        double mean, sd;
        s_posterior (arm, e, kappa0, &mean, &sd);
        hl_value_t *entry = hl_value_new_map ();
        hl_value_set_double (entry, "prior", arm->action->expected);
        hl_value_set_double (entry, "prior_weight", kappa0);
        hl_value_t *v
            = e->n ? hl_value_new_double (e->mean) : hl_value_new_nil ();
        hl_value_set (entry, "measured_mean", &v);
        v = hl_value_new_uint (e->n);
        hl_value_set (entry, "n", &v);
        hl_value_set_double (entry, "m2", e->m2);
        hl_value_set_double (entry, "mean", mean);
        hl_value_set_double (entry, "sd", sd);
        hl_value_set (map, arm->action->improves[t], &entry);
    }
    return map;
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
        v = hl_value_new_uint (arm->trials);
        hl_value_set (entry, "trials", &v);
        hl_value_set_bool (entry, "solo", arm->solo);
        v = hl_value_new_map ();
        hl_value_set_int (v, "until", arm->until_us);
        hl_value_t *r = hl_value_new_uint (arm->repeats);
        hl_value_set (v, "repeats", &r);
        hl_value_set (entry, "quarantine", &v);
        v = s_effects_value (self, arm);
        hl_value_set (entry, "effects", &v);
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

//  A JSON number that is finite
static int
s_number (const json_t *json, double *out)
{
    if (!json_is_number (json) || !isfinite (json_number_value (json)))
        return -1;
    *out = json_number_value (json);
    return 0;
}

//  The effects of one entry (version 2): those of targets still
//  configured; a metric no longer targeted is ignored
static int
s_parse_effects (const json_t *effects, s_arm_t *arm)
{
    if (!effects)
        return 0;
    if (!json_is_object (effects))
        return -1;
    const char *metric;
    json_t *e;
    json_object_foreach ((json_t *)effects, metric, e) {
        s_effect_t parsed = { 0, 0, 0 };
        const json_t *mean = json_object_get (e, "measured_mean");
        if (!json_is_object (e) || s_count (json_object_get (e, "n"), &parsed.n)
            || s_number (json_object_get (e, "m2"), &parsed.m2) || parsed.m2 < 0
            || (parsed.n && s_number (mean, &parsed.mean)))
            return -1;
        int t = s_target (arm, metric);
        if (t >= 0 && arm->effects)
            arm->effects[t] = parsed;
    }
    return 0;
}

//  The quarantine of one entry (version 2)
static int
s_parse_quarantine (const json_t *q, s_arm_t *arm)
{
    if (!q)
        return 0;
    const json_t *until = json_object_get (q, "until");
    if (!json_is_object (q) || !json_is_integer (until)
        || json_integer_value (until) < 0
        || s_count (json_object_get (q, "repeats"), &arm->repeats))
        return -1;
    arm->until_us = json_integer_value (until);
    return 0;
}

//  Check one entry of a file of version and fill arm's figures (action
//  and effects' storage untouched)
static int
s_parse_entry (const json_t *entry, json_int_t version, s_arm_t *arm)
{
    if (!json_is_object (entry)
        || s_count (json_object_get (entry, "successes"), &arm->successes)
        || s_count (json_object_get (entry, "failures"), &arm->failures))
        return -1;
    const json_t *trials = json_object_get (entry, "trials");
    const json_t *solo = json_object_get (entry, "solo");
    if ((trials && s_count (trials, &arm->trials))
        || (solo && !json_is_boolean (solo))
        || s_parse_quarantine (json_object_get (entry, "quarantine"), arm)
        || s_parse_effects (json_object_get (entry, "effects"), arm))
        return -1;
    arm->solo = solo && json_is_true (solo);
    const json_t *imp = json_object_get (entry, "improvement");
    arm->measured = 0;
    arm->improvement = NAN;
    if (!imp || json_is_null (imp))
        return 0;
    if (s_number (imp, &arm->improvement))
        return -1;
    const json_t *measured = json_object_get (entry, "measured");
    if (measured && s_count (measured, &arm->measured))
        return -1;
    if (version < 3) {
        arm->measured = 0;
        arm->improvement = NAN;
        return 0;
    }
    //  A mean stands for at least one measurement
    if (arm->measured == 0)
        arm->measured = 1;
    return 0;
}

/*  arms[] copies of self's, each with effects of its own. */
static s_arm_t *
s_arms_copy (const hl_learning_t *self)
{
    s_arm_t *arms = (s_arm_t *)hl_calloc (self->arms_n, sizeof (s_arm_t));
    for (size_t i = 0; i < self->arms_n; i++) {
        arms[i] = self->arms[i];
        size_t n = arms[i].action->improves_n;
        arms[i].effects = (s_effect_t *)hl_calloc (n, sizeof (s_effect_t));
        memcpy (arms[i].effects, self->arms[i].effects,
                n * sizeof (s_effect_t));
    }
    return arms;
}

static void
s_arms_free (s_arm_t *arms, size_t n)
{
    for (size_t i = 0; arms && i < n; i++)
        free (arms[i].effects);
    free (arms);
}

/*  Take the state json ({version, actions}) holds, all or nothing: every
    entry is parsed into a copy first, so a bad one anywhere leaves the
    state as it was. */
static int
s_restore (hl_learning_t *self, const json_t *json)
{
    int rc = HL_ERR_MALFORMED;
    s_arm_t *arms = NULL;
    const json_t *version = json_object_get (json, "version");
    json_t *actions = json_object_get (json, "actions");
    if (!json_is_object (json) || !json_is_integer (version)
        || json_integer_value (version) < 1
        || json_integer_value (version) > S_FILE_VERSION
        || !json_is_object (actions))
        goto fail;
    arms = s_arms_copy (self);
    const char *name;
    json_t *entry;
    json_object_foreach (actions, name, entry) {
        s_arm_t *arm = s_arm (self, name);
        //  An action no longer configured is checked, then ignored
        s_arm_t parsed = arm ? arms[arm - self->arms] : (s_arm_t){ 0 };
        if (s_parse_entry (entry, json_integer_value (version), &parsed))
            goto fail;
        if (arm)
            arms[arm - self->arms] = parsed;
    }
    s_arm_t *old = self->arms;
    self->arms = arms;
    arms = old;
    rc = 0;
fail:
    s_arms_free (arms, self->arms_n);
    return rc;
}

int
hl_learning_restore (hl_learning_t *self, const hl_value_t *actions)
{
    assert (self);
    json_t *json = json_object ();
    json_object_set_new (json, "version", json_integer (S_FILE_VERSION));
    json_t *a = actions ? hl_value_to_json (actions) : NULL;
    json_object_set_new (json, "actions", a ? a : json_null ());
    int rc = s_restore (self, json);
    json_decref (json);
    return rc;
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

    json = json_loadb (data, got, JSON_REJECT_DUPLICATES, NULL);
    rc = s_restore (self, json);
fail:
    json_decref (json);
    free (data);
    close (fd);
    return rc;
}
