/*
 * sqlerr: the system's reason behind an SQLite error (see sm/sqlerr.h).
 */
#include "sm/sqlerr.h"

#include <errno.h>
#include <string.h>

const char *sm_sqlite_os_reason(sqlite3 *db) {
        int rc = sqlite3_extended_errcode(db) & 0xff;
        int e  = sqlite3_system_errno(db);

        if (rc == SQLITE_FULL)
                return strerror(ENOSPC);
        if ((rc == SQLITE_IOERR || rc == SQLITE_CANTOPEN) && e > 0)
                return strerror(e);
        return "";
}
