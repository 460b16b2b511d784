/* ts-nrf91.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* nRF91 credential-store formats (PROTOCOL.md §4, §6). Pure functions, no I/O. */

/* The bridge keeps at most this many bytes of one command line (§2.1 item 5). */
#define TS_NRF91_MAX_COMMAND_BYTES 4095
/* %CMNG's <passwd> is at most 32 characters (§6.5 item 5). */
#define TS_NRF91_MAX_KEY_PASSWORD  32

/**
 * TsCredType:
 *
 * `%CMNG` credential types (§6.2). Types 5–11 are modem-managed and only listed.
 */
typedef enum
{
  TS_CRED_CA_CERT      = 0,
  TS_CRED_CLIENT_CERT  = 1,
  TS_CRED_PRIVATE_KEY  = 2,
  TS_CRED_PSK          = 3,
  TS_CRED_PSK_IDENTITY = 4,
  TS_CRED_TYPE_MAX     = 11,
} TsCredType;

/**
 * TsSecTagClass:
 * @TS_SEC_TAG_USER: 0–2147483647, the application's range.
 * @TS_SEC_TAG_DEBUG: 2147483648–2147483667, Nordic's decryptable debug tags:
 *   TLS sessions using them can be decrypted by trace tools (§6.3).
 * @TS_SEC_TAG_MODEM: above 2147483667, owned by the modem; never written.
 */
typedef enum
{
  TS_SEC_TAG_USER,
  TS_SEC_TAG_DEBUG,
  TS_SEC_TAG_MODEM,
} TsSecTagClass;

#define TS_SEC_TAG_USER_MAX  G_GUINT64_CONSTANT (2147483647)
#define TS_SEC_TAG_DEBUG_MAX G_GUINT64_CONSTANT (2147483667)

/**
 * TsLineEndings:
 * @TS_LINE_ENDINGS_LF: every line break becomes LF (the default).
 * @TS_LINE_ENDINGS_CRLF: every line break becomes CR LF.
 * @TS_LINE_ENDINGS_KEEP: the file's bytes are sent unchanged.
 *
 * How credential content is normalised before a write. The modem stores the
 * bytes verbatim and hashes them, so this decides the listed SHA-256 (§6.4).
 */
typedef enum
{
  TS_LINE_ENDINGS_LF,
  TS_LINE_ENDINGS_CRLF,
  TS_LINE_ENDINGS_KEEP,
} TsLineEndings;

/* One `%CMNG: <tag>,<type>,"<sha>"` list entry. */
typedef struct
{
  guint32 sec_tag;
  guint   type;
  char    sha256[65];   /* 64 upper-case hex digits, or "" when the modem gave none */
} TsCredential;

/* A parsed `+CGMR` version such as mfw_nrf9160_1.3.5. */
typedef struct
{
  guint    major;
  guint    minor;
  guint    patch;
  gboolean ntn;         /* "ntn" firmware, treated as modern (§4) */
} TsFirmwareVersion;

const char    *ts_cred_type_to_string      (guint               type);
const char    *ts_cred_type_describe       (guint               type);
gboolean       ts_cred_type_parse          (const char         *text,
                                            guint              *type,
                                            GError            **error);
gboolean       ts_cred_type_is_writable    (guint               type);

TsSecTagClass  ts_sec_tag_classify         (guint64             sec_tag);
gboolean       ts_sec_tag_parse            (const char         *text,
                                            guint32            *sec_tag,
                                            GError            **error);
gboolean       ts_sec_tag_check_writable   (guint64             sec_tag,
                                            GError            **error);

gboolean       ts_line_endings_parse       (const char         *text,
                                            TsLineEndings      *endings,
                                            GError            **error);
/* NULL for a value out of range. */
const char    *ts_line_endings_to_string   (TsLineEndings       endings);
GBytes        *ts_nrf91_normalise_content  (GBytes             *content,
                                            TsLineEndings       endings);
gboolean       ts_nrf91_check_content      (GBytes             *content,
                                            GError            **error);
gboolean       ts_nrf91_check_key_password (const char         *password,
                                            GError            **error);
char          *ts_nrf91_build_write        (guint32             sec_tag,
                                            guint               type,
                                            GBytes             *content,
                                            const char         *key_password);
void           ts_nrf91_sha256_hex         (const guint8       *data,
                                            gsize               len,
                                            char                out[65]);

gboolean       ts_nrf91_parse_cmng_entry   (const char         *line,
                                            TsCredential       *credential);
gboolean       ts_nrf91_parse_cmng_read    (const char         *line,
                                            TsCredential       *credential,
                                            GBytes            **content,
                                            GError            **error);
gboolean       ts_nrf91_parse_firmware     (const char         *text,
                                            TsFirmwareVersion  *version);
gboolean       ts_nrf91_parse_cfun         (const char         *line,
                                            int                *mode);
gboolean       ts_nrf91_cfun_is_lte_active (int                 mode);
char          *ts_nrf91_parse_quoted       (const char         *line,
                                            const char         *prefix);

G_END_DECLS
