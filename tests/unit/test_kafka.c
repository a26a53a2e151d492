/*
 * test_kafka: Java's murmur2 (Kafka's UtilsTest vectors) and the partition
 * a key lands on, which every producer and tool must agree on; and the
 * `-X key=value` parsing.
 */
#include "sm/kafka.h"
#include "test.h"

#include <errno.h>

static void test_murmur2(void) {
        /* org.apache.kafka.common.utils.UtilsTest#testMurmur2 */
        static const struct {
                const char *key;
                int32_t hash;
        } v[] = {
                {"21", -973932308},
                {"foobar", -790332482},
                {"a-little-bit-long-string", -985981536},
                {"a-little-bit-longer-string", -1486304829},
                {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
                {"abc", 479470107},
        };
        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
                ASSERT_EQ((int32_t)sm_kafka_murmur2(v[i].key, strlen(v[i].key)),
                          v[i].hash);
}

static void test_partition(void) {
        /* (murmur2 & 0x7fffffff) % n */
        ASSERT_EQ(sm_kafka_partition("21", 2, 16),
                  (-973932308 & 0x7fffffff) % 16);
        ASSERT_EQ(sm_kafka_partition("abc", 3, 7), 479470107 % 7);
        ASSERT_EQ(sm_kafka_partition("abc", 3, 0), -1);
        for (int n = 1; n < 64; n++) {
                int32_t p = sm_kafka_partition("8419537941919820732", 19, n);
                ASSERT_TRUE(p >= 0 && p < n);
        }
}

static void test_prop_parse(void) {
        char a[] = "linger.ms=5", b[] = "novalue", c[] = "=x", d[] = "k=";
        sm_kafka_prop_t prop;
        ASSERT_OK(sm_kafka_prop_parse(a, "-X", &prop));
        ASSERT_STREQ(prop.key, "linger.ms");
        ASSERT_STREQ(prop.value, "5");
        ASSERT_EQ(sm_kafka_prop_parse(b, "-X", &prop), -EINVAL);
        ASSERT_EQ(sm_kafka_prop_parse(c, "-X", &prop), -EINVAL);
        ASSERT_OK(sm_kafka_prop_parse(d, "-X", &prop));
        ASSERT_STREQ(prop.value, "");
}

static void test_conf_errors(void) {
        char errstr[256];
        sm_kafka_prop_t bad   = {"no.such.property", "1", "-X"};
        rd_kafka_conf_t *conf = sm_kafka_conf_new(
                "127.0.0.1:9092", NULL, 0, &bad, 1, errstr, sizeof(errstr));
        ASSERT_TRUE(conf == NULL);
        ASSERT_TRUE(strstr(errstr, "no.such.property") != NULL);
        conf = sm_kafka_conf_new("127.0.0.1:9092", NULL, 0, NULL, 0, errstr,
                                 sizeof(errstr));
        ASSERT_TRUE(conf != NULL);
        rd_kafka_conf_destroy(conf);
}

int main(void) {
        test_murmur2();
        test_partition();
        test_prop_parse();
        test_conf_errors();
        TEST_DONE();
}
