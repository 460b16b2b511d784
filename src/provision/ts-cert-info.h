/* ts-cert-info.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <openssl/types.h>

G_BEGIN_DECLS

/* One X.509v3 extension, decoded to text a person can read. */
typedef struct
{
  char     *name;      /* "Basic constraints", "Key usage", … or the OID when unknown */
  char     *value;     /* one item a line, e.g. "CA: yes\nPath length: 0" */
  gboolean  critical;
} TsCertExtension;

/*
 * What a certificate says, read from its PEM for a details view: everything a
 * certificate viewer shows, as text, with no GTK. Fingerprints are of the DER,
 * colon-separated uppercase hex as `openssl x509 -fingerprint` prints them;
 * @pem_sha256 is the SHA-256 of the PEM text with LF line endings, which is
 * what the modem lists and the ledger and the command line show.
 */
typedef struct
{
  char       *subject;              /* RFC 2253 */
  char       *subject_cn;           /* (nullable) */
  char       *organisation;         /* (nullable) the subject's O */
  char       *issuer;               /* RFC 2253 */
  char       *serial;               /* uppercase hex, as the ledger stores it */
  int         version;              /* 1, 2 or 3 */
  gint64      not_before;
  gint64      not_after;
  char       *key_algorithm;        /* "EC" or "RSA", … */
  guint       key_bits;
  char       *key_curve;            /* (nullable) "P-256 (prime256v1)" for EC keys */
  char       *signature_algorithm;  /* "ecdsa-with-SHA256", … */
  gboolean    self_signed;
  gboolean    is_ca;                /* what OpenSSL takes for a CA certificate */
  GPtrArray  *extensions;           /* (element-type TsCertExtension) in certificate order */
  char       *sha256;               /* AB:CD:… of the DER */
  char       *sha1;
  char       *pem_sha256;           /* uppercase hex, no separators */
  char       *pem;                  /* normalised: one block, LF line endings */
  GBytes     *der;
} TsCertInfo;

TsCertInfo *ts_cert_info_new_from_pem (const char  *pem,
                                       GError     **error);
/* For src/provision code that has read the certificate with OpenSSL already. */
TsCertInfo *ts_cert_info_new_from_x509 (X509    *cert,
                                        GError **error);
char       *ts_cert_info_describe_key (const TsCertInfo *info);
void        ts_cert_info_free         (TsCertInfo *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsCertInfo, ts_cert_info_free)

G_END_DECLS
