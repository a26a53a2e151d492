/*
 * sqlerr: the operating system's reason behind an SQLite error.
 *
 * sqlite3_errmsg() says "disk I/O error" or "database or disk is full";
 * an operator wants the errno behind it.  SQLITE_FULL is a full file
 * system (storemon never sets max_page_count) and the unix VFS clears
 * errno for it, so it is named explicitly.
 */
#ifndef SM_SQLERR_H
#define SM_SQLERR_H

#include <sqlite3.h>

/** @brief strerror() of the system error behind db's last error, or ""
 *  when there is none (static strings). */
const char *sm_sqlite_os_reason(sqlite3 *db);

#endif
