/*
 * test.h: the few assertion macros the unit tests use.
 *
 * Each failing assertion prints file:line and both values, counts the
 * failure and goes on, so one run shows every broken case; a test program
 * ends with TEST_DONE(), which prints "N passed, N failed" and returns the
 * exit status.
 */
#ifndef SM_TEST_H
#define SM_TEST_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int test_passed; /* assertions that held */
static int test_failed; /* assertions that did not */

#define TEST_FAIL_AT(...)                                                      \
        do {                                                                   \
                fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                \
                fprintf(stderr, __VA_ARGS__);                                  \
                fputc('\n', stderr);                                           \
                test_failed++;                                                 \
        } while (0)

#define ASSERT_TRUE(cond)                                                      \
        do {                                                                   \
                if (cond)                                                      \
                        test_passed++;                                         \
                else                                                           \
                        TEST_FAIL_AT("expected true: %s", #cond);              \
        } while (0)

#define ASSERT_EQ(a, b)                                                        \
        do {                                                                   \
                int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                  \
                if (a_ == b_)                                                  \
                        test_passed++;                                         \
                else                                                           \
                        TEST_FAIL_AT("%s == %s: %" PRId64 " != %" PRId64, #a,  \
                                     #b, a_, b_);                              \
        } while (0)

#define ASSERT_OK(expr) ASSERT_EQ((expr), 0)

#define ASSERT_STREQ(a, b)                                                     \
        do {                                                                   \
                const char *a_ = (a), *b_ = (b);                               \
                if (a_ && b_ && strcmp(a_, b_) == 0)                           \
                        test_passed++;                                         \
                else                                                           \
                        TEST_FAIL_AT("%s == %s: \"%s\" != \"%s\"", #a, #b,     \
                                     a_ ? a_ : "(null)", b_ ? b_ : "(null)");  \
        } while (0)

#define ASSERT_NEAR(a, b, tol)                                                 \
        do {                                                                   \
                double a_ = (a), b_ = (b);                                     \
                if (fabs(a_ - b_) <= (tol))                                    \
                        test_passed++;                                         \
                else                                                           \
                        TEST_FAIL_AT("%s ~ %s: %.6f != %.6f", #a, #b, a_, b_); \
        } while (0)

#define TEST_DONE()                                                            \
        do {                                                                   \
                printf("%d passed, %d failed\n", test_passed, test_failed);    \
                return test_failed ? 1 : 0;                                    \
        } while (0)

#endif
