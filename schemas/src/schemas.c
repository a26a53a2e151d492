/*
 * schemas: lookup over the table that the build generates from the .avsc
 * files in schemas/ (see sm/schemas.h).  The table is small (one entry per
 * record type) and searched only at startup, so a linear scan will do.
 */
#include "sm/schemas.h"

#include <string.h>

/* Defined in the generated sm_schemas_data.c; the last entry is zeroed. */
extern const sm_schema_src_t sm_schemas_table[];
extern const size_t sm_schemas_table_count;

#define SM_SCHEMAS_NAMESPACE "storemon."

const sm_schema_src_t *sm_schemas_find(const char *name) {
        size_t i;
        size_t ns_len = strlen(SM_SCHEMAS_NAMESPACE);

        if (!name)
                return NULL;
        if (strncmp(name, SM_SCHEMAS_NAMESPACE, ns_len) == 0)
                name += ns_len;
        for (i = 0; i < sm_schemas_table_count; i++)
                if (strcmp(sm_schemas_table[i].name, name) == 0)
                        return &sm_schemas_table[i];
        return NULL;
}

size_t sm_schemas_count(void) {
        return sm_schemas_table_count;
}

const sm_schema_src_t *sm_schemas_get(size_t i) {
        return i < sm_schemas_table_count ? &sm_schemas_table[i] : NULL;
}
