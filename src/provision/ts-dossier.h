/* ts-dossier.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <ca.h>

G_BEGIN_DECLS

/* The version of dossier.json's layout, its "schema_version" member. */
#define TS_DOSSIER_SCHEMA_VERSION 1

/*
 * A production lot's evidence folder, for the technical documentation a maker
 * keeps: dossier.pdf for people, dossier.json with the same facts, the PEM of
 * every unit's certificate and of the CA chain, the CRLs current at the time,
 * SHA256SUMS over every file and SHA256SUMS.p7s, a detached CMS signature over
 * it by a certificate that chains to the lot's root, and VERIFY.txt saying how
 * to check it all with sha256sum and openssl alone. Everything comes from the
 * ledger, so any past lot can be documented. Needs the ledger unlocked: the
 * CRLs and the signature are made then.
 */
typedef struct
{
  const char *lot;
  const char *out_dir;    /* created; refused when it exists and is not empty */
  const char *signer_ca;  /* (nullable) signs the folder; default: the CA that issued the
                           * lot's newest certificate */
} TsDossierRequest;

gboolean ts_dossier_write        (CaLedger                *ledger,
                                  const TsDossierRequest  *request,
                                  GError                 **error);

G_END_DECLS
