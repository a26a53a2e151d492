/*
 * gateway_db: the SQLite store of reports (see gateway_db.h).
 *
 * Every statement is prepared once per connection.  Store ids and report
 * ids are TEXT with the default BINARY collation, so ORDER BY store_id is
 * byte order, the report's row order.  The six report values are REAL:
 * an IEEE double stored and read back unchanged, so the CSV built from
 * them is byte-identical to the one the batch command prints.
 */
#include "gateway_db.h"
#include "sm/sqlerr.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <glib.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_VERSION "1"

static const char schema_sql[] =
        "CREATE TABLE IF NOT EXISTS meta ("
        " key TEXT PRIMARY KEY,"
        " value TEXT) WITHOUT ROWID;"
        "CREATE TABLE IF NOT EXISTS reports ("
        " report_id TEXT PRIMARY KEY,"
        " status TEXT NOT NULL"
        "  CHECK (status IN ('Running', 'Complete', 'Failed')),"
        " requested_at INTEGER NOT NULL,"
        " as_of INTEGER,"
        " partitions_total INTEGER NOT NULL,"
        " partitions_done INTEGER NOT NULL DEFAULT 0,"
        " store_count INTEGER NOT NULL DEFAULT 0,"
        " completed_at INTEGER,"
        " reason TEXT,"
        " announced INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE IF NOT EXISTS report_parts ("
        " report_id TEXT NOT NULL,"
        " partition INTEGER NOT NULL,"
        " part INTEGER NOT NULL,"
        " as_of INTEGER NOT NULL,"
        " nrows INTEGER NOT NULL,"
        " last INTEGER NOT NULL,"
        " row_count INTEGER NOT NULL,"
        " PRIMARY KEY (report_id, partition, part)) WITHOUT ROWID;"
        "CREATE TABLE IF NOT EXISTS report_rows ("
        " report_id TEXT NOT NULL,"
        " store_id TEXT NOT NULL,"
        " partition INTEGER NOT NULL,"
        " part INTEGER NOT NULL,"
        " uptime_last_hour REAL NOT NULL,"
        " uptime_last_day REAL NOT NULL,"
        " uptime_last_week REAL NOT NULL,"
        " downtime_last_hour REAL NOT NULL,"
        " downtime_last_day REAL NOT NULL,"
        " downtime_last_week REAL NOT NULL,"
        " PRIMARY KEY (report_id, store_id)) WITHOUT ROWID;"
        "CREATE TABLE IF NOT EXISTS report_csv ("
        " report_id TEXT PRIMARY KEY,"
        " body BLOB NOT NULL);"
        "CREATE TABLE IF NOT EXISTS consumer_offsets ("
        " topic TEXT NOT NULL,"
        " partition INTEGER NOT NULL,"
        " next_offset INTEGER NOT NULL,"
        " PRIMARY KEY (topic, partition)) WITHOUT ROWID;"
        "INSERT OR IGNORE INTO meta (key, value)"
        " VALUES ('schema_version', '" SCHEMA_VERSION "');";

enum stmt {
        ST_BEGIN = 0,
        ST_COMMIT,
        ST_ROLLBACK,
        ST_INS_REPORT,
        ST_UPD_DONE,
        ST_UPD_FAIL,
        ST_UPD_COMPLETE,
        ST_INS_CSV,
        ST_DEL_ROWS,
        ST_DEL_PARTS,
        ST_UPD_ANNOUNCED,
        ST_INS_PART,
        ST_INS_ROW,
        ST_SEL_OFFSETS,
        ST_SET_OFFSET,
        ST_SEL_REPORTS,
        ST_SEL_PARTS,
        ST_SEL_ROWS,
        ST_SEL_CSV,
        ST_TOUCH,
        ST__CNT
};

static const char *const stmt_sql[ST__CNT] = {
        [ST_BEGIN]    = "BEGIN IMMEDIATE",
        [ST_COMMIT]   = "COMMIT",
        [ST_ROLLBACK] = "ROLLBACK",
        [ST_INS_REPORT] =
                "INSERT INTO reports (report_id, status, requested_at, as_of,"
                " partitions_total, partitions_done, store_count,"
                " completed_at, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
                " ?8, ?9)",
        [ST_UPD_DONE] =
                "UPDATE reports SET partitions_done = ?2"
                " WHERE report_id = ?1 AND status = 'Running'",
        [ST_UPD_FAIL] =
                "UPDATE reports SET status = 'Failed', reason = ?2,"
                " completed_at = ?3, partitions_done = ?4"
                " WHERE report_id = ?1 AND status = 'Running'",
        [ST_UPD_COMPLETE] =
                "UPDATE reports SET status = 'Complete', as_of = ?2,"
                " completed_at = ?3, store_count = ?4,"
                " partitions_done = partitions_total"
                " WHERE report_id = ?1 AND status = 'Running'",
        [ST_INS_CSV] =
                "INSERT OR REPLACE INTO report_csv (report_id, body)"
                " VALUES (?1, ?2)",
        [ST_DEL_ROWS]  = "DELETE FROM report_rows WHERE report_id = ?1",
        [ST_DEL_PARTS] = "DELETE FROM report_parts WHERE report_id = ?1",
        [ST_UPD_ANNOUNCED] =
                "UPDATE reports SET announced = 1 WHERE report_id = ?1",
        [ST_INS_PART] =
                "INSERT OR IGNORE INTO report_parts (report_id, partition,"
                " part, as_of, nrows, last, row_count)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        [ST_INS_ROW] =
                "INSERT OR IGNORE INTO report_rows (report_id, store_id,"
                " partition, part, uptime_last_hour, uptime_last_day,"
                " uptime_last_week, downtime_last_hour, downtime_last_day,"
                " downtime_last_week)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        [ST_SEL_OFFSETS] =
                "SELECT partition, next_offset"
                " FROM consumer_offsets WHERE topic = ?1",
        [ST_SET_OFFSET] =
                "INSERT INTO consumer_offsets (topic, partition,"
                " next_offset) VALUES (?1, ?2, ?3)"
                " ON CONFLICT (topic, partition)"
                " DO UPDATE SET next_offset = excluded.next_offset",
        [ST_SEL_REPORTS] =
                "SELECT report_id, status, requested_at, as_of,"
                " partitions_total, partitions_done, store_count,"
                " completed_at, reason, announced FROM reports",
        [ST_SEL_PARTS] =
                "SELECT partition, part, as_of, nrows, last,"
                " row_count FROM report_parts WHERE report_id = ?1",
        [ST_SEL_ROWS] =
                "SELECT partition, part, store_id, uptime_last_hour,"
                " uptime_last_day, uptime_last_week, downtime_last_hour,"
                " downtime_last_day, downtime_last_week"
                " FROM report_rows WHERE report_id = ?1",
        [ST_SEL_CSV] = "SELECT body FROM report_csv WHERE report_id = ?1",
        [ST_TOUCH] =
                "INSERT INTO meta (key, value) VALUES ('alive', ?1)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
};

struct sm_gw_db_s {
        sqlite3 *db;               /* the connection */
        sqlite3_stmt *st[ST__CNT]; /* prepared statements */
        char err[256];             /* the last error's text */
};

/* Keeps the connection's error text (later calls may replace it), with
 * the system's reason when there is one. */
static int fail(sm_gw_db_t *db) {
        const char *os = sm_sqlite_os_reason(db->db);

        snprintf(db->err, sizeof(db->err), "%s%s%s%s", sqlite3_errmsg(db->db),
                 *os ? " (" : "", os, *os ? ")" : "");
        return -EIO;
}

const char *sm_gw_db_errmsg(sm_gw_db_t *db) {
        return db->err;
}

/* Runs a statement that returns no rows, then resets it. */
static int exec_stmt(sm_gw_db_t *db, sqlite3_stmt *st) {
        int rc = sqlite3_step(st), ret = 0;
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
                ret = fail(db);
        (void)sqlite3_reset(st);
        (void)sqlite3_clear_bindings(st);
        return ret;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s, size_t len) {
        (void)sqlite3_bind_text(st, i, s, (int)len, SQLITE_STATIC);
}

static void bind_id(sqlite3_stmt *st, const char *id) {
        bind_text(st, 1, id, strlen(id));
}

sm_gw_db_t *sm_gw_db_open(const char *path,
                          int create,
                          int durable,
                          char *errstr,
                          size_t errstr_size) {
        sm_gw_db_t *db = sm_xcalloc(1, sizeof(*db));
        int flags      = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
                    (create ? SQLITE_OPEN_CREATE : 0);
        char *msg = NULL;
        char pragmas[256];
        sqlite3_stmt *st = NULL;

        if (sqlite3_open_v2(path, &db->db, flags, NULL) != SQLITE_OK) {
                snprintf(errstr, errstr_size, "%s: %s", path,
                         db->db ? sqlite3_errmsg(db->db)
                                : "cannot open the database");
                goto fail;
        }
        (void)sqlite3_busy_timeout(db->db, 10000);
        snprintf(pragmas, sizeof(pragmas),
                 "PRAGMA journal_mode = WAL;"
                 "PRAGMA synchronous = %s;"
                 "PRAGMA temp_store = MEMORY;"
                 "PRAGMA cache_size = -16384;",
                 durable ? "FULL" : "NORMAL");
        if (sqlite3_exec(db->db, pragmas, NULL, NULL, &msg) != SQLITE_OK ||
            (create &&
             sqlite3_exec(db->db, schema_sql, NULL, NULL, &msg) != SQLITE_OK)) {
                snprintf(errstr, errstr_size, "%s: %s", path,
                         msg ? msg : sqlite3_errmsg(db->db));
                sqlite3_free(msg);
                goto fail;
        }
        if (sqlite3_prepare_v2(db->db,
                               "SELECT value FROM meta"
                               " WHERE key = 'schema_version'",
                               -1, &st, NULL) != SQLITE_OK) {
                snprintf(errstr, errstr_size, "%s: %s", path,
                         sqlite3_errmsg(db->db));
                goto fail;
        }
        if (sqlite3_step(st) != SQLITE_ROW || !sqlite3_column_text(st, 0) ||
            strcmp((const char *)sqlite3_column_text(st, 0), SCHEMA_VERSION) !=
                    0) {
                snprintf(errstr, errstr_size,
                         "%s: not a storemon-gateway database of schema "
                         "version " SCHEMA_VERSION,
                         path);
                sqlite3_finalize(st);
                goto fail;
        }
        sqlite3_finalize(st);
        /* Parts and rows of finished reports whose cleanup a stop
         * interrupted. */
        if (create && sqlite3_exec(db->db,
                                   "DELETE FROM report_rows WHERE report_id IN"
                                   " (SELECT report_id FROM reports"
                                   "  WHERE status != 'Running');"
                                   "DELETE FROM report_parts WHERE report_id IN"
                                   " (SELECT report_id FROM reports"
                                   "  WHERE status != 'Running');",
                                   NULL, NULL, &msg) != SQLITE_OK) {
                snprintf(errstr, errstr_size, "%s: %s", path, msg);
                sqlite3_free(msg);
                goto fail;
        }
        for (int i = 0; i < ST__CNT; i++)
                if (sqlite3_prepare_v3(db->db, stmt_sql[i], -1,
                                       SQLITE_PREPARE_PERSISTENT, &db->st[i],
                                       NULL) != SQLITE_OK) {
                        snprintf(errstr, errstr_size, "%s: %s: %s", path,
                                 stmt_sql[i], sqlite3_errmsg(db->db));
                        goto fail;
                }
        return db;
fail:
        sm_gw_db_close(db);
        return NULL;
}

void sm_gw_db_close(sm_gw_db_t *db) {
        if (!db)
                return;
        for (int i = 0; i < ST__CNT; i++)
                sqlite3_finalize(db->st[i]);
        if (db->db)
                (void)sqlite3_close(db->db);
        free(db);
}

int sm_gw_db_begin(sm_gw_db_t *db) {
        return exec_stmt(db, db->st[ST_BEGIN]);
}

int sm_gw_db_commit(sm_gw_db_t *db) {
        return exec_stmt(db, db->st[ST_COMMIT]);
}

void sm_gw_db_rollback(sm_gw_db_t *db) {
        if (!sqlite3_get_autocommit(db->db))
                (void)exec_stmt(db, db->st[ST_ROLLBACK]);
}

int sm_gw_db_report_insert(sm_gw_db_t *db, const sm_gw_report_t *r) {
        sqlite3_stmt *st   = db->st[ST_INS_REPORT];
        const char *status = sm_gw_status_name(r->status);

        bind_id(st, r->id);
        bind_text(st, 2, status, strlen(status));
        (void)sqlite3_bind_int64(st, 3, r->requested_at);
        if (r->has_as_of)
                (void)sqlite3_bind_int64(st, 4, r->as_of);
        (void)sqlite3_bind_int(st, 5, r->partitions_total);
        (void)sqlite3_bind_int(st, 6, r->partitions_done);
        (void)sqlite3_bind_int64(st, 7, r->store_count);
        if (r->completed_at)
                (void)sqlite3_bind_int64(st, 8, r->completed_at);
        if (r->reason[0])
                bind_text(st, 9, r->reason, strlen(r->reason));
        return exec_stmt(db, st);
}

int sm_gw_db_report_done(sm_gw_db_t *db, const char *id, int32_t done) {
        sqlite3_stmt *st = db->st[ST_UPD_DONE];
        bind_id(st, id);
        (void)sqlite3_bind_int(st, 2, done);
        return exec_stmt(db, st);
}

static int drop_parts(sm_gw_db_t *db, const char *id) {
        bind_id(db->st[ST_DEL_ROWS], id);
        if (exec_stmt(db, db->st[ST_DEL_ROWS]) < 0)
                return -EIO;
        bind_id(db->st[ST_DEL_PARTS], id);
        return exec_stmt(db, db->st[ST_DEL_PARTS]);
}

int sm_gw_db_report_fail(sm_gw_db_t *db, const sm_gw_report_t *r) {
        sqlite3_stmt *st = db->st[ST_UPD_FAIL];
        bind_id(st, r->id);
        bind_text(st, 2, r->reason, strlen(r->reason));
        (void)sqlite3_bind_int64(st, 3, r->completed_at);
        (void)sqlite3_bind_int(st, 4, r->partitions_done);
        if (exec_stmt(db, st) < 0)
                return -EIO;
        return drop_parts(db, r->id);
}

int sm_gw_db_report_complete(sm_gw_db_t *db,
                             const sm_gw_report_t *r,
                             const char *csv,
                             size_t csv_len) {
        sqlite3_stmt *st = db->st[ST_UPD_COMPLETE];
        bind_id(st, r->id);
        (void)sqlite3_bind_int64(st, 2, r->as_of);
        (void)sqlite3_bind_int64(st, 3, r->completed_at);
        (void)sqlite3_bind_int64(st, 4, r->store_count);
        if (exec_stmt(db, st) < 0)
                return -EIO;
        st = db->st[ST_INS_CSV];
        bind_id(st, r->id);
        (void)sqlite3_bind_blob64(st, 2, csv, csv_len, SQLITE_STATIC);
        return exec_stmt(db, st);
}

int sm_gw_db_report_drop_parts(sm_gw_db_t *db, const char *id) {
        return drop_parts(db, id);
}

int sm_gw_db_report_announced(sm_gw_db_t *db, const char *id) {
        bind_id(db->st[ST_UPD_ANNOUNCED], id);
        return exec_stmt(db, db->st[ST_UPD_ANNOUNCED]);
}

int sm_gw_db_part_add(sm_gw_db_t *db, const sm_part_msg_t *part) {
        sqlite3_stmt *st = db->st[ST_INS_PART];

        bind_text(st, 1, part->report_id, part->report_id_len);
        (void)sqlite3_bind_int(st, 2, part->partition);
        (void)sqlite3_bind_int(st, 3, part->part);
        (void)sqlite3_bind_int64(st, 4, part->as_of);
        (void)sqlite3_bind_int64(st, 5, (sqlite3_int64)part->nrows);
        (void)sqlite3_bind_int(st, 6, part->last ? 1 : 0);
        (void)sqlite3_bind_int64(st, 7, part->row_count);
        if (exec_stmt(db, st) < 0)
                return -EIO;
        if (sqlite3_changes(db->db) == 0)
                return 0;
        st = db->st[ST_INS_ROW];
        for (size_t i = 0; i < part->nrows; i++) {
                const sm_report_row_t *row = &part->rows[i];
                int rc;
                bind_text(st, 1, part->report_id, part->report_id_len);
                bind_text(st, 2, row->store_id, row->store_id_len);
                (void)sqlite3_bind_int(st, 3, part->partition);
                (void)sqlite3_bind_int(st, 4, part->part);
                (void)sqlite3_bind_double(st, 5, row->uptime_last_hour);
                (void)sqlite3_bind_double(st, 6, row->uptime_last_day);
                (void)sqlite3_bind_double(st, 7, row->uptime_last_week);
                (void)sqlite3_bind_double(st, 8, row->downtime_last_hour);
                (void)sqlite3_bind_double(st, 9, row->downtime_last_day);
                (void)sqlite3_bind_double(st, 10, row->downtime_last_week);
                rc = sqlite3_step(st);
                if (rc != SQLITE_DONE) {
                        (void)fail(db);
                        (void)sqlite3_reset(st);
                        return -EIO;
                }
                (void)sqlite3_reset(st);
        }
        return 1;
}

int sm_gw_db_offsets_get(sm_gw_db_t *db,
                         const char *topic,
                         int32_t nparts,
                         int64_t *ret) {
        sqlite3_stmt *st = db->st[ST_SEL_OFFSETS];
        int rc, r;

        for (int32_t p = 0; p < nparts; p++)
                ret[p] = -1;
        bind_text(st, 1, topic, strlen(topic));
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                int p = sqlite3_column_int(st, 0);
                if (p >= 0 && p < nparts)
                        ret[p] = sqlite3_column_int64(st, 1);
        }
        r = rc == SQLITE_DONE ? 0 : fail(db);
        (void)sqlite3_reset(st);
        return r;
}

int sm_gw_db_offset_set(sm_gw_db_t *db,
                        const char *topic,
                        int32_t partition,
                        int64_t next) {
        sqlite3_stmt *st = db->st[ST_SET_OFFSET];
        bind_text(st, 1, topic, strlen(topic));
        (void)sqlite3_bind_int(st, 2, partition);
        (void)sqlite3_bind_int64(st, 3, next);
        return exec_stmt(db, st);
}

static void column_text(sqlite3_stmt *st, int i, char *out, size_t size) {
        const unsigned char *s = sqlite3_column_text(st, i);
        snprintf(out, size, "%s", s ? (const char *)s : "");
}

int sm_gw_db_reports_load(sm_gw_db_t *db,
                          int (*cb)(const sm_gw_report_t *r,
                                    int announced,
                                    void *opaque),
                          void *opaque) {
        sqlite3_stmt *st = db->st[ST_SEL_REPORTS];
        int rc, r = 0;

        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                sm_gw_report_t rep = {0};
                char status[16];
                int s;
                column_text(st, 0, rep.id, sizeof(rep.id));
                column_text(st, 1, status, sizeof(status));
                s = sm_gw_status_parse(status);
                if (s < 0 || !sm_reportreq_id_valid(rep.id, strlen(rep.id)))
                        continue;
                rep.status       = (sm_gw_status_t)s;
                rep.requested_at = sqlite3_column_int64(st, 2);
                rep.has_as_of    = sqlite3_column_type(st, 3) != SQLITE_NULL;
                rep.as_of        = sqlite3_column_int64(st, 3);
                rep.partitions_total = sqlite3_column_int(st, 4);
                rep.partitions_done  = sqlite3_column_int(st, 5);
                rep.store_count      = sqlite3_column_int64(st, 6);
                rep.completed_at     = sqlite3_column_int64(st, 7);
                column_text(st, 8, rep.reason, sizeof(rep.reason));
                if ((r = cb(&rep, sqlite3_column_int(st, 9), opaque)) != 0)
                        break;
        }
        if (r == 0 && rc != SQLITE_DONE)
                r = fail(db);
        (void)sqlite3_reset(st);
        return r;
}

/* One stored part being rebuilt for sm_gw_db_parts_replay(). */
struct replay_part {
        sm_part_msg_t msg;     /* the part (rows point into rows) */
        sm_report_row_t *rows; /* its rows */
        size_t cap;            /* capacity of rows */
};

int sm_gw_db_parts_replay(sm_gw_db_t *db,
                          const char *id,
                          int (*cb)(const sm_part_msg_t *part, void *opaque),
                          void *opaque) {
        sqlite3_stmt *st = db->st[ST_SEL_PARTS];
        GArray *parts    = g_array_new(FALSE, TRUE, sizeof(struct replay_part));
        GHashTable *index = g_hash_table_new(g_int64_hash, g_int64_equal);
        GStringChunk *ids = g_string_chunk_new(1 << 16);
        int64_t *keys     = NULL;
        int rc, ret = 0;

        bind_id(st, id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct replay_part rp = {0};
                rp.msg.report_id      = id;
                rp.msg.report_id_len  = strlen(id);
                rp.msg.partition      = sqlite3_column_int(st, 0);
                rp.msg.part           = sqlite3_column_int(st, 1);
                rp.msg.as_of          = sqlite3_column_int64(st, 2);
                rp.msg.last           = sqlite3_column_int(st, 4);
                rp.msg.row_count      = sqlite3_column_int64(st, 5);
                g_array_append_val(parts, rp);
        }
        if (rc != SQLITE_DONE)
                ret = fail(db);
        (void)sqlite3_reset(st);
        if (ret < 0)
                goto out;
        keys = sm_xcalloc(parts->len ? parts->len : 1, sizeof(*keys));
        for (guint i = 0; i < parts->len; i++) {
                struct replay_part *rp =
                        &g_array_index(parts, struct replay_part, i);
                keys[i] = (int64_t)rp->msg.partition << 32 |
                          (uint32_t)rp->msg.part;
                g_hash_table_insert(index, &keys[i], GUINT_TO_POINTER(i + 1));
        }
        st = db->st[ST_SEL_ROWS];
        bind_id(st, id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                int64_t key = (int64_t)sqlite3_column_int(st, 0) << 32 |
                              (uint32_t)sqlite3_column_int(st, 1);
                guint at = GPOINTER_TO_UINT(g_hash_table_lookup(index, &key));
                struct replay_part *rp;
                sm_report_row_t *row;
                const char *sid;
                if (!at)
                        continue; /* a row without its part: ignored */
                rp = &g_array_index(parts, struct replay_part, at - 1);
                sm_xgrow((void **)&rp->rows, &rp->cap, rp->msg.nrows + 1,
                         sizeof(*rp->rows));
                row = &rp->rows[rp->msg.nrows++];
                sid = g_string_chunk_insert_len(
                        ids, (const char *)sqlite3_column_text(st, 2),
                        sqlite3_column_bytes(st, 2));
                *row = (sm_report_row_t){
                        .store_id         = sid,
                        .store_id_len     = (size_t)sqlite3_column_bytes(st, 2),
                        .uptime_last_hour = sqlite3_column_double(st, 3),
                        .uptime_last_day  = sqlite3_column_double(st, 4),
                        .uptime_last_week = sqlite3_column_double(st, 5),
                        .downtime_last_hour = sqlite3_column_double(st, 6),
                        .downtime_last_day  = sqlite3_column_double(st, 7),
                        .downtime_last_week = sqlite3_column_double(st, 8),
                };
        }
        if (rc != SQLITE_DONE)
                ret = fail(db);
        (void)sqlite3_reset(st);
        if (ret < 0)
                goto out;
        for (guint i = 0; i < parts->len && ret == 0; i++) {
                struct replay_part *rp =
                        &g_array_index(parts, struct replay_part, i);
                rp->msg.rows = rp->rows;
                ret          = cb(&rp->msg, opaque);
        }
out:
        for (guint i = 0; i < parts->len; i++)
                free(g_array_index(parts, struct replay_part, i).rows);
        g_array_free(parts, TRUE);
        g_hash_table_destroy(index);
        g_string_chunk_free(ids);
        free(keys);
        return ret;
}

int sm_gw_db_csv_get(sm_gw_db_t *db, const char *id, sm_gw_blob_t **ret_csv) {
        sqlite3_stmt *st = db->st[ST_SEL_CSV];
        int rc, ret;

        bind_id(st, id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                size_t len      = (size_t)sqlite3_column_bytes(st, 0);
                sm_gw_blob_t *b = sm_gw_blob_new(len);
                if (len)
                        memcpy(b->data, sqlite3_column_blob(st, 0), len);
                *ret_csv = b;
                ret      = 0;
        } else {
                ret = rc == SQLITE_DONE ? -ENOENT : fail(db);
        }
        (void)sqlite3_reset(st);
        (void)sqlite3_clear_bindings(st);
        return ret;
}

int sm_gw_db_touch(sm_gw_db_t *db, sm_usec_t now) {
        char v[32];
        snprintf(v, sizeof(v), "%lld", (long long)now);
        bind_text(db->st[ST_TOUCH], 1, v, strlen(v));
        return exec_stmt(db, db->st[ST_TOUCH]);
}
