/* ts-provision.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include <ca.h>
#include "ts-modem.h"
#include "ts-provision-steps.h"

G_BEGIN_DECLS

/*
 * Provisioning one modem: from a plugged-in kit to a verified, recorded
 * certificate (and, with @rekey, back again for a returned unit). The same flow
 * serves the CLI, the production bench and the GUI.
 *
 * ts_provision_run() is synchronous and talks to the modem for several seconds.
 * Front ends reach it through ts_workspace_provision() (ts-workspace-modem.h),
 * which runs it on a leased port, and the window through the workspace's runner.
 */

/**
 * TsProvisionRequest:
 * @authority: the issuing CA's name
 * @profile: (nullable): the naming profile, %CA_PROFILE_DEFAULT when %NULL
 * @sec_tag: where the credentials go
 * @server_ca: (nullable): PEM written as the sec_tag's CA certificate (type 0)
 * @server_ca_label: (nullable): where @server_ca came from, for messages
 * @host_key: generate the key on the host and write it as type 2
 * @endings: line endings of everything written (the modem hashes the bytes)
 * @force: redo even when the sec_tag already holds the current certificate
 * @rekey: replace the key and revoke the previous certificates of @sec_tag
 * @reason: why the previous certificates are revoked (@rekey only)
 * @crl_dir: (nullable): where @rekey writes the refreshed CRLs, as
 *   `<CA name>.crl.pem`; the folder `crl` beside the ledger when %NULL
 * @lot: (nullable): the production lot recorded with the device
 * @days: certificate validity, 0 for the CA's default
 *
 * Strings are owned; use ts_provision_request_free().
 */
typedef struct
{
  char           *authority;
  char           *profile;
  guint32         sec_tag;
  GBytes         *server_ca;
  char           *server_ca_label;
  gboolean        host_key;
  TsLineEndings   endings;
  gboolean        force;
  gboolean        rekey;
  CaRevokeReason  reason;
  char           *crl_dir;
  char           *lot;
  int             days;
} TsProvisionRequest;

typedef enum
{
  TS_PROVISION_PROVISIONED,           /* new credentials written and verified */
  TS_PROVISION_ALREADY_PROVISIONED,   /* the sec_tag held the current certificate; nothing changed */
} TsProvisionOutcome;

/**
 * TsProvisionStep:
 * @name: the step's name, ts_provision_step_name() of a TsProvisionStepId
 * @duration_us: wall time of the step
 * @bytes_written: bytes sent to the modem during the step
 * @bytes_read: bytes received from the modem during the step
 */
typedef struct
{
  char    *name;
  gint64   duration_us;
  guint64  bytes_written;
  guint64  bytes_read;
} TsProvisionStep;

/**
 * TsProvisionResult:
 * @error: (nullable): why the flow failed; %NULL on success
 * @steps: (element-type TsProvisionStep) in order, also those of a failed run
 * @notices: (element-type utf8) things the operator should know, e.g. what the
 *   reconciliation of an earlier, unfinished install found
 * @revoked: (element-type utf8) serials revoked by a re-key
 * @crl_paths: (element-type filename) the CRLs a re-key published
 */
typedef struct
{
  TsProvisionOutcome  outcome;
  GError             *error;
  char               *port;
  char               *imei;
  char               *device_uuid;
  char               *model;
  char               *firmware;
  char               *authority;
  char               *profile;
  guint32             sec_tag;
  char               *serial;          /* the device certificate's serial */
  char               *sha256;          /* of exactly the certificate bytes the modem holds */
  char               *subject;
  gint64              not_after;
  gboolean            host_key;
  gboolean            verified_by_readback;
  GPtrArray          *steps;
  GPtrArray          *notices;
  GPtrArray          *revoked;
  GPtrArray          *crl_paths;
  gint64              duration_us;
  guint64             bytes_written;
  guint64             bytes_read;
} TsProvisionResult;

/* Called on the thread running the flow, so GUI callers must hop to the main
 * context themselves. At the start of each step @fraction (0 to 1 over the
 * whole flow) and @message say what is happening; a notice for the operator
 * (also kept in TsProvisionResult.notices) comes with @fraction < 0. */
typedef void (*TsProvisionProgress) (const char *step,
                                     double      fraction,
                                     const char *message,
                                     gpointer    user_data);

TsProvisionRequest *ts_provision_request_new   (const char                 *authority,
                                                guint32                     sec_tag);
TsProvisionRequest *ts_provision_request_copy  (const TsProvisionRequest   *request);
void                ts_provision_request_free  (TsProvisionRequest         *request);

void                ts_provision_result_free   (TsProvisionResult          *result);
const char         *ts_provision_outcome_to_string (TsProvisionOutcome      outcome);

TsProvisionResult  *ts_provision_run           (CaLedger                   *ledger,
                                                TsModem                    *modem,
                                                const TsProvisionRequest   *request,
                                                TsProvisionProgress         progress,
                                                gpointer                    user_data,
                                                GCancellable               *cancellable,
                                                GError                    **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsProvisionRequest, ts_provision_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsProvisionResult, ts_provision_result_free)

G_END_DECLS
