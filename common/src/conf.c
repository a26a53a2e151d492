/*
 * conf: layered service configuration (see conf.h).
 *
 * Values are kept as text per setting with the name of their source;
 * numbers are parsed and range-checked once everything is applied, so an
 * error names the winning source ("SM_REPORTER_GRACE: ..."), and a later
 * layer may fix a bad value of an earlier one.
 */
#include "sm/conf.h"
#include "sm/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sm_conf_s {
        const char *service;       /* service name, e.g. "reporter" */
        const sm_conf_def_t *defs; /* the table */
        size_t ndefs;              /* its size */
        char **text;               /* per setting: value text or NULL */
        char **source;             /* per setting: where it came from */
        int64_t *num;              /* per setting: parsed number */
        sm_kafka_prop_t *props;    /* -X / kafka.* properties */
        size_t nprops;             /* number of properties */
        size_t props_cap;          /* capacity of props */
        char **owned;              /* strings owned for props */
        size_t nowned;             /* number of owned strings */
        size_t owned_cap;          /* capacity of owned */
};

sm_conf_t *
sm_conf_new(const char *service, const sm_conf_def_t *defs, size_t ndefs) {
        sm_conf_t *conf = sm_xcalloc(1, sizeof(*conf));
        conf->service   = service;
        conf->defs      = defs;
        conf->ndefs     = ndefs;
        conf->text      = sm_xcalloc(ndefs, sizeof(*conf->text));
        conf->source    = sm_xcalloc(ndefs, sizeof(*conf->source));
        conf->num       = sm_xcalloc(ndefs, sizeof(*conf->num));
        return conf;
}

void sm_conf_destroy(sm_conf_t *conf) {
        if (!conf)
                return;
        for (size_t i = 0; i < conf->ndefs; i++) {
                free(conf->text[i]);
                free(conf->source[i]);
        }
        for (size_t i = 0; i < conf->nowned; i++)
                free(conf->owned[i]);
        free(conf->owned);
        free(conf->props);
        free(conf->text);
        free(conf->source);
        free(conf->num);
        free(conf);
}

static char *own(sm_conf_t *conf, const char *s) {
        sm_xgrow((void **)&conf->owned, &conf->owned_cap, conf->nowned + 1,
                 sizeof(*conf->owned));
        return conf->owned[conf->nowned++] = sm_xstrdup(s);
}

static int find(const sm_conf_t *conf, const char *name, size_t len) {
        for (size_t i = 0; i < conf->ndefs; i++)
                if (strlen(conf->defs[i].name) == len &&
                    strncmp(conf->defs[i].name, name, len) == 0)
                        return (int)i;
        return -1;
}

static void set(sm_conf_t *conf, int i, const char *value, const char *source) {
        free(conf->text[i]);
        free(conf->source[i]);
        conf->text[i]   = sm_xstrdup(value);
        conf->source[i] = sm_xstrdup(source);
}

static int add_prop(sm_conf_t *conf,
                    const char *kv,
                    const char *where,
                    char *errstr,
                    size_t errstr_size) {
        char *copy = own(conf, kv);
        sm_kafka_prop_t prop;
        if (sm_kafka_prop_parse(copy, own(conf, where), &prop) < 0) {
                snprintf(errstr, errstr_size,
                         "%s: Kafka property '%s' is not key=value", where, kv);
                return -EINVAL;
        }
        sm_xgrow((void **)&conf->props, &conf->props_cap, conf->nprops + 1,
                 sizeof(*conf->props));
        conf->props[conf->nprops++] = prop;
        return 0;
}

int sm_conf_parse_duration(const char *s, int64_t *ret_usec) {
        char *end;
        double v;
        int64_t mul = 1000000;

        errno = 0;
        v     = strtod(s, &end);
        if (end == s || errno || v < 0)
                return -EINVAL;
        if (*end == '\0' || strcmp(end, "s") == 0)
                mul = 1000000;
        else if (strcmp(end, "us") == 0)
                mul = 1;
        else if (strcmp(end, "ms") == 0)
                mul = 1000;
        else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
                mul = 60000000;
        else if (strcmp(end, "h") == 0)
                mul = INT64_C(3600000000);
        else if (strcmp(end, "d") == 0)
                mul = INT64_C(86400000000);
        else
                return -EINVAL;
        if (v * (double)mul > 9.2e18)
                return -ERANGE;
        *ret_usec = (int64_t)(v * (double)mul + 0.5);
        return 0;
}

static int parse_bool(const char *s, int64_t *ret) {
        static const char *const yes[] = {"1", "true", "yes", "on"};
        static const char *const no[]  = {"0", "false", "no", "off"};
        for (size_t i = 0; i < 4; i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = 1;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = 0;
                        return 0;
                }
        }
        return -EINVAL;
}

static int
read_file(sm_conf_t *conf, const char *path, char *errstr, size_t errstr_size) {
        FILE *f = fopen(path, "r");
        char line[1024], where[600];
        long lineno = 0;

        if (!f) {
                snprintf(errstr, errstr_size, "config file %s: %s", path,
                         strerror(errno));
                return -EIO;
        }
        while (fgets(line, sizeof(line), f)) {
                char *p = line, *eq, *k_end, *v;
                int i;
                lineno++;
                snprintf(where, sizeof(where), "%s:%ld", path, lineno);
                line[strcspn(line, "\r\n")] = '\0';
                while (isspace((unsigned char)*p))
                        p++;
                if (*p == '\0' || *p == '#')
                        continue;
                if (!(eq = strchr(p, '='))) {
                        snprintf(errstr, errstr_size,
                                 "%s: expected 'name = value'", where);
                        fclose(f);
                        return -EINVAL;
                }
                k_end = eq;
                while (k_end > p && isspace((unsigned char)k_end[-1]))
                        k_end--;
                v = eq + 1;
                while (isspace((unsigned char)*v))
                        v++;
                for (char *e = v + strlen(v);
                     e > v && isspace((unsigned char)e[-1]); e--)
                        e[-1] = '\0';
                if (k_end - p > 6 && strncmp(p, "kafka.", 6) == 0) {
                        char kv[1024];
                        snprintf(kv, sizeof(kv), "%.*s=%s",
                                 (int)(k_end - p - 6), p + 6, v);
                        if (add_prop(conf, kv, where, errstr, errstr_size) <
                            0) {
                                fclose(f);
                                return -EINVAL;
                        }
                        continue;
                }
                if ((i = find(conf, p, (size_t)(k_end - p))) < 0) {
                        snprintf(errstr, errstr_size,
                                 "%s: unknown setting "
                                 "'%.*s'",
                                 where, (int)(k_end - p), p);
                        fclose(f);
                        return -EINVAL;
                }
                set(conf, i, v, where);
        }
        fclose(f);
        return 0;
}

static void
env_name(const sm_conf_t *conf, const char *name, char *buf, size_t size) {
        size_t n = (size_t)snprintf(buf, size, "SM_%s_", conf->service);
        for (const char *p = name; *p && n + 1 < size; p++)
                buf[n++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
        buf[n] = '\0';
        for (char *p = buf; *p; p++)
                *p = (char)toupper((unsigned char)*p);
}

static void print_help(const sm_conf_t *conf, const char *usage, FILE *out) {
        char svc[64];
        size_t n = 0;
        for (const char *p = conf->service; *p && n + 1 < sizeof(svc); p++)
                svc[n++] = (char)toupper((unsigned char)*p);
        svc[n] = '\0';
        fprintf(out,
                "%s\n\nSettings (command line, SM_%s_* environment, "
                "--config file):\n",
                usage, svc);
        for (size_t i = 0; i < conf->ndefs; i++) {
                const sm_conf_def_t *d = &conf->defs[i];
                int has_def            = d->def && *d->def;
                fprintf(out, "  --%-22s %s%s%s%s\n", d->name, d->help,
                        has_def ? " (default " : "", has_def ? d->def : "",
                        has_def       ? ")"
                        : d->required ? " (required)"
                                      : "");
        }
        fprintf(out,
                "  -X key=value             librdkafka property (also "
                "kafka.key = value in the file)\n"
                "  --config FILE            read settings from FILE (also "
                "SM_CONFIG)\n"
                "  --dump-config            print the effective settings "
                "and exit\n"
                "  --help                   this text\n");
}

static void dump(const sm_conf_t *conf, FILE *out) {
        for (size_t i = 0; i < conf->ndefs; i++) {
                const sm_conf_def_t *d = &conf->defs[i];
                fprintf(out, "%s = %s    # %s\n", d->name,
                        !conf->text[i] ? "(unset)"
                        : d->secret    ? "****"
                                       : conf->text[i],
                        conf->source[i] ? conf->source[i] : "default");
        }
        for (size_t i = 0; i < conf->nprops; i++) {
                int secret = strstr(conf->props[i].key, "password") ||
                             strstr(conf->props[i].key, "secret");
                fprintf(out, "kafka.%s = %s    # %s\n", conf->props[i].key,
                        secret ? "****" : conf->props[i].value,
                        conf->props[i].where ? conf->props[i].where : "-X");
        }
}

/* Parses and checks every value; errors name the source. */
static int finish(sm_conf_t *conf, char *errstr, size_t errstr_size) {
        for (size_t i = 0; i < conf->ndefs; i++) {
                const sm_conf_def_t *d = &conf->defs[i];
                const char *src = conf->source[i] ? conf->source[i] : "default";
                const char *t   = conf->text[i];
                int64_t v       = 0;
                char *end;
                if (!t) {
                        if (d->required) {
                                snprintf(errstr, errstr_size,
                                         "--%s is required", d->name);
                                return -EINVAL;
                        }
                        continue;
                }
                switch (d->type) {
                case SM_CONF_STR:
                        if (d->required && !*t) {
                                snprintf(errstr, errstr_size,
                                         "%s: %s must not be empty", src,
                                         d->name);
                                return -EINVAL;
                        }
                        continue;
                case SM_CONF_BOOL:
                        if (parse_bool(t, &v) < 0) {
                                snprintf(errstr, errstr_size,
                                         "%s: %s '%s': expected true or "
                                         "false",
                                         src, d->name, t);
                                return -EINVAL;
                        }
                        break;
                case SM_CONF_INT:
                        errno = 0;
                        v     = strtoll(t, &end, 10);
                        if (end == t || *end || errno) {
                                snprintf(errstr, errstr_size,
                                         "%s: %s '%s': not an integer", src,
                                         d->name, t);
                                return -EINVAL;
                        }
                        break;
                case SM_CONF_DURATION:
                        if (sm_conf_parse_duration(t, &v) < 0) {
                                snprintf(errstr, errstr_size,
                                         "%s: %s '%s': expected a duration "
                                         "like 500ms, 30s, 2h",
                                         src, d->name, t);
                                return -EINVAL;
                        }
                        break;
                }
                if (d->type != SM_CONF_BOOL && (v < d->min || v > d->max)) {
                        snprintf(errstr, errstr_size,
                                 "%s: %s '%s' out of range", src, d->name, t);
                        return -EINVAL;
                }
                conf->num[i] = v;
        }
        return 0;
}

int sm_conf_load(sm_conf_t *conf,
                 int argc,
                 char **argv,
                 const char *usage,
                 FILE *out,
                 char *errstr,
                 size_t errstr_size) {
        const char *file = getenv("SM_CONFIG");
        int help = 0, dump_config = 0, r;
        char env[128];

        /* First pass: find --config, --help and --dump-config. */
        for (int a = 1; a < argc; a++) {
                if (strcmp(argv[a], "--help") == 0 ||
                    strcmp(argv[a], "-h") == 0)
                        help = 1;
                else if (strcmp(argv[a], "--dump-config") == 0)
                        dump_config = 1;
                else if (strcmp(argv[a], "--config") == 0 && a + 1 < argc)
                        file = argv[++a];
                else if (strncmp(argv[a], "--config=", 9) == 0)
                        file = argv[a] + 9;
        }
        if (help) {
                print_help(conf, usage, out);
                return 1;
        }
        for (size_t i = 0; i < conf->ndefs; i++)
                if (conf->defs[i].def)
                        set(conf, (int)i, conf->defs[i].def, "default");
        if (file && *file &&
            (r = read_file(conf, file, errstr, errstr_size)) < 0)
                return r;
        for (size_t i = 0; i < conf->ndefs; i++) {
                const char *v;
                if (strcmp(conf->defs[i].name, "brokers") == 0 &&
                    (v = getenv("STOREMON_BROKERS")) && *v)
                        set(conf, (int)i, v, "STOREMON_BROKERS");
                env_name(conf, conf->defs[i].name, env, sizeof(env));
                if ((v = getenv(env)) && *v)
                        set(conf, (int)i, v, env);
        }
        for (int a = 1; a < argc; a++) {
                const char *arg = argv[a], *val = NULL, *eq;
                char src[128];
                int i;
                if (strcmp(arg, "--dump-config") == 0)
                        continue;
                if (strcmp(arg, "--config") == 0) {
                        a++;
                        continue;
                }
                if (strncmp(arg, "--config=", 9) == 0)
                        continue;
                if (strcmp(arg, "-X") == 0 || strncmp(arg, "-X", 2) == 0) {
                        const char *kv = arg[2] ? arg + 2 : NULL;
                        if (!kv && a + 1 < argc)
                                kv = argv[++a];
                        if (!kv) {
                                snprintf(errstr, errstr_size,
                                         "-X needs key=value");
                                return -EINVAL;
                        }
                        if ((r = add_prop(conf, kv, "-X", errstr,
                                          errstr_size)) < 0)
                                return r;
                        continue;
                }
                if (strncmp(arg, "--", 2) != 0) {
                        snprintf(errstr, errstr_size,
                                 "unexpected argument '%s'", arg);
                        return -EINVAL;
                }
                arg += 2;
                eq = strchr(arg, '=');
                i  = find(conf, arg, eq ? (size_t)(eq - arg) : strlen(arg));
                if (i < 0) {
                        snprintf(errstr, errstr_size,
                                 "unknown option '%s' (see --help)", argv[a]);
                        return -EINVAL;
                }
                if (eq)
                        val = eq + 1;
                else if (conf->defs[i].type == SM_CONF_BOOL)
                        val = "true";
                else if (a + 1 < argc)
                        val = argv[++a];
                else {
                        snprintf(errstr, errstr_size, "--%s needs a value",
                                 conf->defs[i].name);
                        return -EINVAL;
                }
                snprintf(src, sizeof(src), "--%s", conf->defs[i].name);
                set(conf, i, val, src);
        }
        if ((r = finish(conf, errstr, errstr_size)) < 0)
                return r;
        if (dump_config) {
                dump(conf, out);
                return 1;
        }
        return 0;
}

const char *sm_conf_str(const sm_conf_t *conf, const char *name) {
        int i = find(conf, name, strlen(name));
        return i < 0 ? NULL : conf->text[i];
}

int64_t sm_conf_int(const sm_conf_t *conf, const char *name) {
        int i = find(conf, name, strlen(name));
        return i < 0 || !conf->text[i] ? 0 : conf->num[i];
}

const sm_kafka_prop_t *sm_conf_kafka_props(const sm_conf_t *conf,
                                           size_t *ret_n) {
        *ret_n = conf->nprops;
        return conf->props;
}
