/*
 * wire: Avro single-object framing and schema fingerprints.
 *
 * Every record on a storemon topic is framed as the Avro specification's
 * single-object encoding:
 *
 *   C3 01 | 8-byte little-endian CRC-64-AVRO fingerprint | Avro binary
 *
 * The fingerprint is the Rabin (CRC-64-AVRO) fingerprint of the schema's
 * Parsing Canonical Form, so any Avro implementation can compute it from
 * the same .avsc, no registry process is needed, and a reader checks the
 * fingerprint it expects before it trusts a byte of the body.  A later
 * Confluent framing (00 + 4-byte registry id) is told apart by the first
 * byte.
 *
 * The canonical form is computed here from the schema's JSON (jansson),
 * because avro-c has no fingerprint function and its avro_schema_to_json
 * is not canonical.  It applies the specification's transformations:
 * [PRIMITIVES] {"type":"int"} -> "int"; [FULLNAMES] every named type and
 * reference gets its full name; [STRIP] only type, name, fields, symbols,
 * items, values and size are kept (doc, aliases, defaults, order and
 * logicalType go, so {"type":"long","logicalType":"timestamp-micros"} is
 * "long"); [ORDER] those attributes in that order; [STRINGS] strings
 * unescaped to UTF-8; [INTEGERS] no leading zeros; [WHITESPACE] none.
 *
 * sm_buf_t, the growable byte buffer the codec writes frames into, lives
 * here too.
 *
 * Everything here is reentrant; nothing keeps state.
 */
#ifndef SM_WIRE_H
#define SM_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define SM_WIRE_MAGIC_0     0xC3 /* first byte of a single-object frame */
#define SM_WIRE_MAGIC_1     0x01 /* second byte (format version 1) */
#define SM_WIRE_HEADER_SIZE 10   /* magic + 8-byte fingerprint */

/** CRC-64-AVRO of no bytes; also the polynomial of the fingerprint. */
#define SM_WIRE_FP_EMPTY UINT64_C(0xc15d213aa4d7a795)

/** A growable byte buffer.  Zero-initialise it (or use SM_BUF_INIT). */
typedef struct sm_buf {
        uint8_t *data; /* the bytes (NULL until the first reserve) */
        size_t len;    /* bytes in use */
        size_t size;   /* bytes allocated */
} sm_buf_t;

#define SM_BUF_INIT                                                            \
        { NULL, 0, 0 }

/** @brief Makes room for at least size bytes (keeps data[0..len)); aborts
 *  on out-of-memory like sm_xrealloc. */
void sm_buf_reserve(sm_buf_t *buf, size_t size);

/** @brief Frees the bytes and leaves the buffer empty and reusable.
 *  buf may be NULL. */
void sm_buf_free(sm_buf_t *buf);

/**
 * @brief CRC-64-AVRO (the Avro specification's Rabin fingerprint) of a
 *   byte string.  sm_wire_crc64("", 0) is SM_WIRE_FP_EMPTY.
 */
uint64_t sm_wire_crc64(const void *data, size_t len);

/**
 * @brief The Parsing Canonical Form of a schema given as JSON text.
 * @param json, len  the schema (need not be NUL-terminated).
 * @param ret_pcf  on success, a malloc'ed NUL-terminated string the caller
 *   frees with free().
 * @returns 0, or -EINVAL with errstr filled when the text is not JSON or
 *   not shaped like an Avro schema (a named type without a name, a record
 *   without fields, ...).  The schema is not otherwise validated: that is
 *   avro-c's job when it parses the same text.
 */
int sm_wire_canonical_form(const char *json,
                           size_t len,
                           char **ret_pcf,
                           char *errstr,
                           size_t errstr_size);

/**
 * @brief The CRC-64-AVRO fingerprint of a schema's canonical form.
 * @returns 0 and sets *ret_fp, or -EINVAL as sm_wire_canonical_form.
 */
int sm_wire_schema_fingerprint(const char *json,
                               size_t len,
                               uint64_t *ret_fp,
                               char *errstr,
                               size_t errstr_size);

/** @brief Writes the SM_WIRE_HEADER_SIZE-byte frame header for a schema
 *  fingerprint into out. */
void sm_wire_header_write(void *out, uint64_t fp);

/**
 * @brief Reads a frame header.
 * @returns 0 and sets *ret_fp, or -EBADMSG with errstr filled when buf is
 *   shorter than the header or does not start with C3 01.
 */
int sm_wire_header_read(const void *buf,
                        size_t len,
                        uint64_t *ret_fp,
                        char *errstr,
                        size_t errstr_size);

/**
 * @brief Whether text is what storemon puts in an Avro string: well-formed
 *   UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF) with
 *   no NUL byte, so that a decoded string is also a valid C string.
 * @returns 1 if so, else 0.
 */
int sm_wire_text_valid(const char *s, size_t len);

#endif
