/* ts-nrf91-token.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Decoding of `%KEYGEN` and `%ATTESTTOKEN` answers (PROTOCOL.md §7.3, §8.1):
 * "<b64url part 1>.<b64url COSE_Sign1>". */

#define TS_KEYGEN_PAYLOAD_PUBLIC_KEY 8
#define TS_KEYGEN_PAYLOAD_CSR        9

typedef struct
{
  char    *token;            /* the quoted text exactly as the modem sent it */
  GBytes  *body;             /* part 1: CSR DER (payload 9) or SubjectPublicKeyInfo DER (8) */
  GBytes  *cose;             /* part 2: COSE_Sign1 */
  int      payload_id;       /* TS_KEYGEN_PAYLOAD_* */
  char    *device_uuid;      /* lower-case 8-4-4-4-12, from the COSE payload */
  guint32  sec_tag;          /* from the COSE payload */
  guint8   digest[32];       /* SHA-256 of @body claimed by the COSE payload */
  char    *subject;          /* CSR subject, one-line RFC 2253 form; NULL for payload 8 */
} TsKeygenResult;

typedef struct
{
  char    *token;            /* the quoted text exactly as the modem sent it */
  int      message_type;     /* 1 = device identity message v1 */
  char    *device_uuid;      /* lower-case 8-4-4-4-12 */
  gint64   device_type;      /* 1–6, see §8.1 */
  char    *firmware_uuid;    /* lower-case 8-4-4-4-12 */
  char    *nonce_hex;        /* 32 lower-case hex digits */
} TsAttestation;

TsKeygenResult *ts_keygen_result_parse        (const char            *line,
                                               GError               **error);
gboolean        ts_keygen_result_verify       (const TsKeygenResult  *result,
                                               guint32                sec_tag,
                                               const char            *device_uuid,
                                               GError               **error);
char           *ts_keygen_result_dup_pem      (const TsKeygenResult  *result);
void            ts_keygen_result_free         (TsKeygenResult        *result);

TsAttestation  *ts_attestation_parse          (const char            *line,
                                               GError               **error);
void            ts_attestation_free           (TsAttestation         *attestation);

GBytes         *ts_base64url_decode           (const char            *text,
                                               gssize                 len,
                                               GError               **error);
char           *ts_format_uuid                (const guint8           bytes[16]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsKeygenResult, ts_keygen_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsAttestation, ts_attestation_free)

G_END_DECLS
