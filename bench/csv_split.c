/*
 * csv_split: the batch benchmark's baseline.  Reads the given CSV files
 * with the project's reader and splits every record into fields, touching
 * each field's bytes, and nothing more: the least any report over the same
 * files has to do.  Prints records and fields so the work is not optimised
 * away.
 *
 * usage: bench-csv-split FILE...
 */
#include "sm/csv.h"

#include <stdio.h>

int main(int argc, char **argv) {
        unsigned long records = 0, fields = 0, bytes = 0;

        for (int i = 1; i < argc; i++) {
                char errstr[256];
                sm_csv_t *csv =
                        sm_csv_open_file(argv[i], errstr, sizeof(errstr));
                sm_csv_row_t row;
                if (!csv) {
                        fprintf(stderr, "bench-csv-split: %s\n", errstr);
                        return 1;
                }
                while (sm_csv_next(csv, &row)) {
                        records++;
                        fields += row.nfields;
                        for (size_t f = 0; f < row.nfields; f++)
                                bytes += row.fields[f].len
                                                 ? (unsigned char)row.fields[f]
                                                           .ptr[0]
                                                 : 0;
                }
                sm_csv_destroy(csv);
        }
        printf("%lu records, %lu fields (checksum %lu)\n", records, fields,
               bytes);
        return 0;
}
