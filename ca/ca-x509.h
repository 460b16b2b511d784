/* ca-x509.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#if !defined(CA_INSIDE) && !defined(CA_COMPILATION)
# error "Only <ca.h> can be included directly."
#endif

#include <glib.h>
#include <openssl/types.h>

G_BEGIN_DECLS

/*
 * What an X.509 certificate says, as the ledger stores it: one reading for
 * libca and for the certificate views that hold an OpenSSL X509 themselves.
 */

/* Seconds since the epoch; 0 when @time is NULL or cannot be read. */
gint64  ca_asn1_time_to_unix (const ASN1_TIME    *time);
/* RFC 2253 ("CN=x,O=y"), with UTF-8 left unescaped. */
char   *ca_name_to_string    (const X509_NAME    *name);
/* The first entry of @nid (NID_commonName, NID_organizationName, …) as valid
 * UTF-8, or NULL when @name has none. */
char   *ca_name_get_entry    (const X509_NAME    *name,
                              int                 nid);
/* Uppercase hex without leading zero bytes. */
char   *ca_serial_to_hex     (const ASN1_INTEGER *serial);

G_END_DECLS
