/* ts-store.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include <ca.h>
#include "ts-modem.h"

G_BEGIN_DECLS

/*
 * Every change to a modem's credential store goes through the ledger: the
 * intent is recorded before the modem is touched and the outcome after it, and
 * whatever the ledger claims about a unit is settled against its store the
 * next time the unit is seen. Shared by the CLI and the window; no GTK.
 * Nothing here needs a CA: a vendor's credentials are recorded all the same.
 *
 * @notices: (nullable) (element-type utf8): receives what the operator should
 *   know (what settling found, certificates retired)
 */

/* Settles the installs of @imei (open ones and those claimed as verified or
 * being removed) by @listing, the modem's whole store (listed here when NULL),
 * then retires the certificates whose key is gone from the modem. */
gboolean ts_store_settle (CaLedger      *ledger,
                          TsModem       *modem,
                          const char    *imei,
                          GArray        *listing,
                          GPtrArray     *notices,
                          GCancellable  *cancellable,
                          GError       **error);

/* Revokes (superseded) each valid certificate of @imei that a newer one
 * supersedes and that is no longer on the modem: its key went with it. */
gboolean ts_store_retire_keyless (CaLedger    *ledger,
                                  const char  *imei,
                                  GPtrArray   *notices,
                                  GError     **error);

/* Records the intent to delete (@sec_tag, @type or -1 for all): its verified
 * installs become "removing". Returns (element-type CaInstall) those marked. */
GPtrArray *ts_store_mark_removing (CaLedger    *ledger,
                                   const char  *imei,
                                   guint32      sec_tag,
                                   int          type,
                                   GError     **error);
/* The modem confirmed the deletion of @removing. */
gboolean ts_store_mark_removed   (CaLedger    *ledger,
                                  GPtrArray   *removing,
                                  GError     **error);

/* Identifies the modem, records the device (when the ledger is unlocked) and
 * settles it by @listing (see ts_store_settle()). */
TsModemIdentity *ts_store_identify (CaLedger      *ledger,
                                    TsModem       *modem,
                                    GArray        *listing,
                                    GPtrArray     *notices,
                                    GCancellable  *cancellable,
                                    GError       **error) G_GNUC_WARN_UNUSED_RESULT;

/* ts_modem_write_credential(), recorded: an intent with the SHA-256 of the
 * bytes that will be sent, verified once the modem lists them. */
gboolean ts_store_write          (CaLedger           *ledger,
                                  TsModem            *modem,
                                  guint32             sec_tag,
                                  guint               type,
                                  GBytes             *content,
                                  const char         *key_password,
                                  TsLineEndings       endings,
                                  TsModemWriteFlags   flags,
                                  char              **sha256,
                                  GPtrArray          *notices,
                                  GCancellable       *cancellable,
                                  GError            **error);

/* ts_modem_delete_credentials(), recorded: the installs it takes away are
 * marked removing before, and removed (or verified again) after. */
gboolean ts_store_delete         (CaLedger           *ledger,
                                  TsModem            *modem,
                                  guint32             sec_tag,
                                  int                 type,
                                  TsModemWriteFlags   flags,
                                  guint              *n_deleted,
                                  GPtrArray          *notices,
                                  GCancellable       *cancellable,
                                  GError            **error);

/* A credential file (PEM text, at most 64 KiB, checked before a byte is read)
 * as bytes that are wiped when freed: it may hold a private key. */
GBytes  *ts_store_read_credential_file (const char  *path,
                                        GError     **error);

/* Checks content typed or picked for a %CMNG type before anything is sent:
 * certificates must parse, keys must be PEM keys, PSKs hex, identities text. */
gboolean ts_store_check_credential     (guint        type,
                                        GBytes      *content,
                                        GError     **error);

/* The subject common name of the first certificate in @pem, or NULL. */
char    *ts_pem_subject_cn             (GBytes      *pem);

G_END_DECLS
