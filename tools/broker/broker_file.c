/*
 * broker_file: the bootstrap and pid files of storemon-broker.
 *
 * Other processes poll for the bootstrap file and read it as soon as it
 * exists, so it must never be seen half-written: the text goes to
 * "<path>.tmp.<pid>" in the same directory (same file system, so the
 * rename is atomic), is fsync'ed, and is renamed over <path>.  On stop the
 * file is removed only if <path> still names the inode we wrote; a broker
 * started later with the same path keeps its file.
 */
#include "broker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sm/xalloc.h"

/** @brief write(2) all of \p len bytes, retrying on EINTR and short
 *  writes.  @returns 0 or a negative errno. */
static int write_all(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, buf, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

int sm_broker_file_write(const char *path,
                         const char *text,
                         sm_broker_file_t *ret_file,
                         char *errstr,
                         size_t errstr_size) {
        size_t tmp_size = strlen(path) + 32;
        char *tmp       = sm_xmalloc(tmp_size);
        struct stat st;
        int fd      = -1;
        int created = 0;
        int r;

        (void)snprintf(tmp, tmp_size, "%s.tmp.%ld", path, (long)getpid());

        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                  0644);
        if (fd < 0) {
                r = -errno;
                (void)snprintf(errstr, errstr_size, "cannot create %s: %s", tmp,
                               strerror(-r));
                goto out;
        }
        created = 1;

        if ((r = write_all(fd, text, strlen(text))) < 0) {
                (void)snprintf(errstr, errstr_size, "cannot write %s: %s", tmp,
                               strerror(-r));
                goto out;
        }
        if (fsync(fd) < 0 || fstat(fd, &st) < 0) {
                r = -errno;
                (void)snprintf(errstr, errstr_size, "cannot sync %s: %s", tmp,
                               strerror(-r));
                goto out;
        }
        r  = close(fd);
        fd = -1;
        if (r < 0) {
                r = -errno;
                (void)snprintf(errstr, errstr_size, "cannot close %s: %s", tmp,
                               strerror(-r));
                goto out;
        }
        if (rename(tmp, path) < 0) {
                r = -errno;
                (void)snprintf(errstr, errstr_size,
                               "cannot rename %s to %s: %s", tmp, path,
                               strerror(-r));
                goto out;
        }
        created = 0;

        ret_file->dev   = st.st_dev;
        ret_file->ino   = st.st_ino;
        ret_file->valid = 1;
        r               = 0;

out:
        if (fd >= 0)
                (void)close(fd);
        if (created)
                (void)unlink(tmp);
        free(tmp);
        return r;
}

int sm_broker_file_remove(const char *path, const sm_broker_file_t *file) {
        struct stat st;

        if (!path || !file || !file->valid)
                return 0;
        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (st.st_dev != file->dev || st.st_ino != file->ino)
                return -ESTALE;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}
