/* ca-error.h
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

G_BEGIN_DECLS

#define CA_ERROR (ca_error_quark ())

/* Every CA_ERROR message is written for a person: what happened and what to do. */
typedef enum
{
  CA_ERROR_FAILED,
  CA_ERROR_DATABASE,          /* SQLite failed: read-only, locked, corrupt, full */
  CA_ERROR_SCHEMA_TOO_NEW,    /* the ledger was written by a newer Tagsmith */
  CA_ERROR_LOCKED,            /* the CA keys are not unlocked */
  CA_ERROR_BAD_PASSPHRASE,
  CA_ERROR_NOT_FOUND,
  CA_ERROR_EXISTS,
  CA_ERROR_INVALID_IMEI,
  CA_ERROR_INVALID_CSR,       /* unparsable, truncated, or its signature does not verify */
  CA_ERROR_POLICY,            /* key type, curve, reused key, profile rule */
  CA_ERROR_ALREADY_REVOKED,
  CA_ERROR_INVALID_ARGUMENT,
  CA_ERROR_IMPORT,            /* an OpenSSL CA folder could not be read */
  CA_ERROR_CRYPTO,            /* OpenSSL failed where it should not */
  CA_ERROR_AUDIT_BROKEN,      /* the audit hash chain does not verify */
  CA_ERROR_WEAK_PASSPHRASE,   /* a new passphrase shorter than CA_PASSPHRASE_MIN_LENGTH */
} CaError;

/* A message says what happened and what to do in words every front end can use.
 * Where a command is the best advice on the command line, it follows at the end
 * of the message after CA_ERROR_CLI_HINT ("… On the command line, `tagsmith ca
 * list` shows them."); the window leaves that part out. */
#define CA_ERROR_CLI_HINT "\nOn the command line, "

GQuark ca_error_quark        (void);
void   ca_error_add_cli_hint (GError     **error,
                              const char  *format,
                              ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
