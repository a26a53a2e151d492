/*
 * reporter_checkpoint: SQLite persistence of partition state (see
 * reporter_checkpoint.h).
 */
#include "reporter_checkpoint.h"
#include "sm/log.h"
#include "sm/sqlerr.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct sm_ckpt_s {
        sqlite3 *db;        /* the database */
        sqlite3_stmt *load; /* SELECT of one partition */
        sqlite3_stmt *save; /* INSERT OR REPLACE of one partition */
        char path[4096];    /* DIR/reporter.db, for messages */
        char aside[4200];   /* where a corrupt one was moved, or "" */
};

static const char schema_sql[] =
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=FULL;"
        "CREATE TABLE IF NOT EXISTS meta ("
        "  key TEXT PRIMARY KEY,"
        "  value TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS partitions ("
        "  partition INTEGER PRIMARY KEY,"
        "  polls_next INTEGER NOT NULL,"
        "  hours_next INTEGER NOT NULL,"
        "  zones_next INTEGER NOT NULL,"
        "  requests_next INTEGER NOT NULL,"
        "  state BLOB NOT NULL,"
        "  saved_at INTEGER NOT NULL,"
        "  instance TEXT NOT NULL);";

/* Fills errstr: the database's path, what failed (may be NULL) and why. */
static int
fail(sm_ckpt_t *ck, const char *what, char *errstr, size_t errstr_size) {
        const char *os = ck->db ? sm_sqlite_os_reason(ck->db) : "";

        snprintf(errstr, errstr_size, "state database %s: %s%s%s%s%s%s",
                 ck->path, what ? what : "", what ? ": " : "",
                 ck->db ? sqlite3_errmsg(ck->db) : "out of memory",
                 *os ? " (" : "", os, *os ? ")" : "");
        return -EIO;
}

/* The database cannot be read as one: not a database, or damaged. */
static int corrupt(const sm_ckpt_t *ck) {
        int rc = ck->db ? sqlite3_errcode(ck->db) & 0xff : SQLITE_OK;
        return rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT;
}

/* Opens ck->path and prepares it for partitions; on failure errstr is
 * filled and ck->db left open for corrupt() to look at. */
static int
open_db(sm_ckpt_t *ck, int32_t partitions, char *errstr, size_t errstr_size) {
        const char *path   = ck->path;
        sqlite3_stmt *stmt = NULL;
        char count[32];
        int r = -EIO;

        if (sqlite3_open_v2(path, &ck->db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                    SQLITE_OPEN_FULLMUTEX,
                            NULL) != SQLITE_OK)
                return fail(ck, NULL, errstr, errstr_size);
        sqlite3_busy_timeout(ck->db, 10000);
        if (sqlite3_exec(ck->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
                return fail(ck, NULL, errstr, errstr_size);
        /* Damage in pages the schema does not touch shows here, not at
         * the first load or save. */
        if (sqlite3_prepare_v2(ck->db, "PRAGMA quick_check", -1, &stmt, NULL) !=
                    SQLITE_OK ||
            sqlite3_step(stmt) != SQLITE_ROW) {
                fail(ck, "quick_check", errstr, errstr_size);
                goto out;
        }
        if (strcmp((const char *)sqlite3_column_text(stmt, 0), "ok") != 0) {
                char *nl;
                snprintf(errstr, errstr_size,
                         "state database %s: quick_check: %s", path,
                         (const char *)sqlite3_column_text(stmt, 0));
                while ((nl = strchr(errstr, '\n')))
                        *nl = ' ';
                r = -EBADMSG;
                goto out;
        }
        sqlite3_finalize(stmt);
        stmt = NULL;
        /* A database made for another partition count cannot be used. */
        snprintf(count, sizeof(count), "%d", partitions);
        if (sqlite3_prepare_v2(ck->db,
                               "INSERT OR IGNORE INTO meta VALUES "
                               "('partitions', ?1)",
                               -1, &stmt, NULL) != SQLITE_OK ||
            sqlite3_bind_text(stmt, 1, count, -1, SQLITE_STATIC) != SQLITE_OK ||
            sqlite3_step(stmt) != SQLITE_DONE) {
                fail(ck, "meta", errstr, errstr_size);
                goto out;
        }
        sqlite3_finalize(stmt);
        stmt = NULL;
        if (sqlite3_prepare_v2(ck->db,
                               "SELECT value FROM meta WHERE key = "
                               "'partitions'",
                               -1, &stmt, NULL) != SQLITE_OK ||
            sqlite3_step(stmt) != SQLITE_ROW) {
                fail(ck, "meta", errstr, errstr_size);
                goto out;
        }
        if (atoi((const char *)sqlite3_column_text(stmt, 0)) != partitions) {
                snprintf(errstr, errstr_size,
                         "state database %s was made for %s partitions, the "
                         "topics have %d: use another --state-dir",
                         path, sqlite3_column_text(stmt, 0), partitions);
                goto out;
        }
        sqlite3_finalize(stmt);
        stmt = NULL;
        if (sqlite3_prepare_v2(ck->db,
                               "SELECT polls_next, hours_next, zones_next, "
                               "requests_next, state FROM partitions WHERE "
                               "partition = ?1",
                               -1, &ck->load, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(ck->db,
                               "INSERT OR REPLACE INTO partitions VALUES "
                               "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                               -1, &ck->save, NULL) != SQLITE_OK) {
                fail(ck, "prepare", errstr, errstr_size);
                goto out;
        }
        r = 0;
out:
        sqlite3_finalize(stmt);
        return r;
}

/* Renames the database and its WAL and shared-memory files to
 * PATH.corrupt-YYYYmmddTHHMMSSZ (kept for the operator).  @returns 0 or
 * -errno with errstr filled. */
static int move_aside(sm_ckpt_t *ck, char *errstr, size_t errstr_size) {
        static const char *const suffixes[] = {"", "-wal", "-shm"};
        char stamp[32], from[4200], to[4300];
        time_t now = time(NULL);
        struct tm tm;

        sqlite3_close(ck->db);
        ck->db = NULL;
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
        for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
                snprintf(from, sizeof(from), "%s%s", ck->path, suffixes[i]);
                snprintf(to, sizeof(to), "%s.corrupt-%s%s", ck->path, stamp,
                         suffixes[i]);
                if (rename(from, to) < 0 && errno != ENOENT) {
                        snprintf(errstr, errstr_size,
                                 "state database %s is corrupt and cannot be "
                                 "moved aside: rename %s: %s",
                                 ck->path, from, strerror(errno));
                        return -errno;
                }
        }
        snprintf(ck->aside, sizeof(ck->aside), "%s.corrupt-%s", ck->path,
                 stamp);
        return 0;
}

sm_ckpt_t *sm_ckpt_open(const char *dir,
                        int32_t partitions,
                        int rebuild_corrupt,
                        char *errstr,
                        size_t errstr_size) {
        sm_ckpt_t *ck = calloc(1, sizeof(*ck));
        char why[1024];
        int r, bad;

        if (!ck) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                snprintf(errstr, errstr_size, "state directory %s: %s", dir,
                         strerror(errno));
                goto err;
        }
        snprintf(ck->path, sizeof(ck->path), "%s/reporter.db", dir);
        if ((r = open_db(ck, partitions, why, sizeof(why))) == 0)
                return ck;
        bad = r == -EBADMSG || corrupt(ck);
        if (!bad || !rebuild_corrupt) {
                snprintf(errstr, errstr_size, "%s%s", why,
                         bad ? " (--corrupt-state refuse: move it aside to "
                               "rebuild the state from the topics)"
                             : "");
                goto err;
        }
        if (move_aside(ck, errstr, errstr_size) < 0)
                goto err;
        sm_log(SM_LOG_ERR, "checkpoint",
               "%s: moved to %s; every partition is rebuilt from the topics",
               why, ck->aside);
        if (open_db(ck, partitions, errstr, errstr_size) == 0)
                return ck;
err:
        sm_ckpt_close(ck);
        return NULL;
}

void sm_ckpt_close(sm_ckpt_t *ck) {
        if (!ck)
                return;
        sqlite3_finalize(ck->load);
        sqlite3_finalize(ck->save);
        sqlite3_close(ck->db);
        free(ck);
}

int sm_ckpt_load(sm_ckpt_t *ck,
                 int32_t partition,
                 sm_store_table_t **ret_table,
                 int64_t *ret_next,
                 char *errstr,
                 size_t errstr_size) {
        sqlite3_stmt *st = ck->load;
        sm_store_table_t *t;
        int r;

        sqlite3_reset(st);
        sqlite3_bind_int(st, 1, partition);
        r = sqlite3_step(st);
        if (r == SQLITE_DONE) {
                sqlite3_reset(st);
                return 0;
        }
        if (r != SQLITE_ROW) {
                r = fail(ck, "load", errstr, errstr_size);
                sqlite3_reset(st);
                return r;
        }
        t = sm_store_table_load(sqlite3_column_blob(st, 4),
                                (size_t)sqlite3_column_bytes(st, 4), errstr,
                                errstr_size);
        if (!t) {
                sqlite3_reset(st);
                return -EBADMSG;
        }
        for (int k = 0; k < SM_CKPT_TOPICS; k++)
                ret_next[k] = sqlite3_column_int64(st, k);
        sqlite3_reset(st);
        *ret_table = t;
        return 1;
}

int sm_ckpt_save(sm_ckpt_t *ck,
                 int32_t partition,
                 const sm_store_table_t *t,
                 const int64_t *next,
                 const char *instance,
                 char *errstr,
                 size_t errstr_size) {
        sqlite3_stmt *st = ck->save;
        uint8_t *buf     = NULL;
        size_t len       = sm_store_table_save(t, &buf);
        int r            = 0;

        sqlite3_reset(st);
        sqlite3_bind_int(st, 1, partition);
        for (int k = 0; k < SM_CKPT_TOPICS; k++)
                sqlite3_bind_int64(st, 2 + k, next[k]);
        sqlite3_bind_blob(st, 6, buf, (int)len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 7, (sqlite3_int64)time(NULL));
        sqlite3_bind_text(st, 8, instance, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                r = fail(ck, "writing the checkpoint", errstr, errstr_size);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        /* A failed statement rolls its transaction back (SQLITE_FULL and
         * I/O errors included); make sure none is left open. */
        if (r < 0 && !sqlite3_get_autocommit(ck->db))
                (void)sqlite3_exec(ck->db, "ROLLBACK", NULL, NULL, NULL);
        free(buf);
        return r;
}
