/* ts-workspace-modem.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "ts-line.h"
#include "ts-modem.h"
#include "ts-provision.h"
#include "ts-workspace.h"

G_BEGIN_DECLS

/*
 * What a person does with a modem, one synchronous function each: find kits,
 * identify one, survey its credential store, read, write or delete a
 * credential, generate a key, read an attestation token, provision or re-key.
 * Each works on a TsDeviceLink: the port opened under a lease of the
 * workspace, so nobody else in Tagsmith talks to it meanwhile. Whatever the
 * ledger knows is consulted when the workspace is open, and every change to a
 * store is recorded in it (which needs the workspace unlocked).
 *
 * The window runs these through ts_workspace_run_async(); the command line
 * calls them directly.
 */

/**
 * TsProvisionDefaults:
 * @authority: (nullable): the CA that signs devices
 * @profile: (nullable): the naming profile; the default one when %NULL
 * @sec_tag: where provisioning writes, and where a credential dialog starts
 * @server_ca: (nullable): the server CA written with the device's credentials:
 *   a PEM file, or with @server_ca_system the name of a certificate in the
 *   system trust store ($TAGSMITH_TRUST_DIR or /etc/ssl/certs)
 * @server_ca_system: @server_ca names a certificate of the system trust store
 * @host_key: generate the key on this computer (for firmware without %KEYGEN)
 * @endings: line endings of every PEM written to a modem
 * @days: certificate validity, 0 for the CA's default
 * @open_flags: how ports are opened (hardware flow control)
 * @timeout_ms: each command's timeout, 0 for the modem's own
 *
 * The choices both front ends make before talking to a modem: the command
 * line from its options, the window from its preferences. They live on the
 * workspace, and every operation starts from them.
 */
typedef struct
{
  char             *authority;
  char             *profile;
  guint32           sec_tag;
  char             *server_ca;
  gboolean          server_ca_system;
  gboolean          host_key;
  TsLineEndings     endings;
  int               days;
  TsModemOpenFlags  open_flags;
  guint             timeout_ms;
} TsProvisionDefaults;

TsProvisionDefaults *ts_provision_defaults_new   (void);
TsProvisionDefaults *ts_provision_defaults_copy  (const TsProvisionDefaults *defaults);
void                 ts_provision_defaults_free  (TsProvisionDefaults       *defaults);

void                 ts_workspace_set_provision_defaults (TsWorkspace               *self,
                                                          const TsProvisionDefaults *defaults);
TsProvisionDefaults *ts_workspace_dup_provision_defaults (TsWorkspace               *self);

/* The request a provisioning run starts from: the defaults, with the server CA
 * loaded and checked. Reads files: call it from a worker thread in the window. */
TsProvisionRequest  *ts_workspace_new_provision_request  (TsWorkspace               *self,
                                                          GCancellable              *cancellable,
                                                          GError                   **error);

/* An open port under a lease of the workspace. */
typedef struct _TsDeviceLink TsDeviceLink;

TsDeviceLink        *ts_workspace_open_link      (TsWorkspace          *self,
                                                  const char           *path,
                                                  const char           *holder,
                                                  TsPortLeaseKind       kind,
                                                  GCancellable         *cancellable,
                                                  GError              **error);
const char          *ts_device_link_get_path     (TsDeviceLink         *link);
TsAtMode             ts_device_link_get_mode     (TsDeviceLink         *link);
void                 ts_device_link_set_observer (TsDeviceLink         *link,
                                                  TsModemObserver       observer,
                                                  gpointer              user_data,
                                                  GDestroyNotify        destroy);
TsDeviceLink        *ts_device_link_ref          (TsDeviceLink         *link);
void                 ts_device_link_unref        (TsDeviceLink         *link);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsDeviceLink, ts_device_link_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsProvisionDefaults, ts_provision_defaults_free)

/* Serial ports with nRF91 kits, other serial devices and running emulators. */
GPtrArray           *ts_workspace_discover       (TsWorkspace          *self,
                                                  GError              **error);

/* The modem's identity; with an open ledger the device is recorded (when
 * unlocked) and what the ledger claims about it settled by its store.
 * @notices: (nullable) (element-type utf8): what settling found */
TsModemIdentity     *ts_workspace_identify       (TsWorkspace          *self,
                                                  TsDeviceLink         *link,
                                                  GPtrArray            *notices,
                                                  GCancellable         *cancellable,
                                                  GError              **error);

/* Only the IMEI, in one short command: enough to tell units apart. */
char                *ts_workspace_read_imei      (TsWorkspace          *self,
                                                  TsDeviceLink         *link,
                                                  GCancellable         *cancellable,
                                                  GError              **error);

typedef enum
{
  TS_SURVEY_NONE          = 0,
  /* Certificates the ledger does not know are read back to name them. */
  TS_SURVEY_READ_SUBJECTS = 1 << 0,
} TsSurveyFlags;

/**
 * TsStoreSurvey:
 * @identity: the modem's identity
 * @credentials: (element-type TsCredential) the whole store, by sec_tag and type
 * @matches: (element-type CaShaMatch) what the ledger knows of each credential,
 *   %NULL where nothing (or the workspace is not open)
 * @subjects: (element-type utf8) the subject CN of each unknown certificate read
 *   back, %NULL elsewhere
 */
typedef struct
{
  TsModemIdentity *identity;
  GArray          *credentials;
  GPtrArray       *matches;
  GPtrArray       *subjects;
} TsStoreSurvey;

void                 ts_store_survey_free        (TsStoreSurvey        *survey);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsStoreSurvey, ts_store_survey_free)

TsStoreSurvey       *ts_workspace_survey_store   (TsWorkspace          *self,
                                                  TsDeviceLink         *link,
                                                  TsSurveyFlags         flags,
                                                  GPtrArray            *notices,
                                                  GCancellable         *cancellable,
                                                  GError              **error);

GBytes              *ts_workspace_read_credential (TsWorkspace         *self,
                                                  TsDeviceLink         *link,
                                                  guint32               sec_tag,
                                                  guint                 type,
                                                  GCancellable         *cancellable,
                                                  GError              **error);

/* Checked first (ts_store_check_credential()); the line endings are the
 * defaults'. Needs the workspace unlocked: the write is recorded. */
gboolean             ts_workspace_write_credential (TsWorkspace        *self,
                                                  TsDeviceLink         *link,
                                                  guint32               sec_tag,
                                                  guint                 type,
                                                  GBytes               *content,
                                                  const char           *key_password,
                                                  TsModemWriteFlags     flags,
                                                  char                **sha256,
                                                  GPtrArray            *notices,
                                                  GCancellable         *cancellable,
                                                  GError              **error);

/* @type: the type, or -1 for everything in @sec_tag. Needs the workspace unlocked. */
gboolean             ts_workspace_delete_credentials (TsWorkspace      *self,
                                                  TsDeviceLink         *link,
                                                  guint32               sec_tag,
                                                  int                   type,
                                                  TsModemWriteFlags     flags,
                                                  guint                *n_deleted,
                                                  GPtrArray            *notices,
                                                  GCancellable         *cancellable,
                                                  GError              **error);

TsKeygenResult      *ts_workspace_keygen         (TsWorkspace          *self,
                                                  TsDeviceLink         *link,
                                                  guint32               sec_tag,
                                                  const char           *attributes,
                                                  TsModemWriteFlags     flags,
                                                  GCancellable         *cancellable,
                                                  GError              **error);

TsAttestation       *ts_workspace_attest         (TsWorkspace          *self,
                                                  TsDeviceLink         *link,
                                                  const char           *challenge_hex,
                                                  GCancellable         *cancellable,
                                                  GError              **error);

/* Provisioning, and with @request->rekey re-keying: see ts_provision_run().
 * Needs the workspace unlocked. Returns the result also on failure. */
TsProvisionResult   *ts_workspace_provision      (TsWorkspace               *self,
                                                  TsDeviceLink              *link,
                                                  const TsProvisionRequest  *request,
                                                  TsProvisionProgress        progress,
                                                  gpointer                   progress_data,
                                                  GCancellable              *cancellable,
                                                  GError                   **error);
/* ts_workspace_provision() through ts_workspace_run_async(). A cancelled run
 * still returns its result (how far it got, the modem's mode restored). */
void                 ts_workspace_provision_async (TsWorkspace              *self,
                                                  TsDeviceLink              *link,
                                                  const TsProvisionRequest  *request,
                                                  TsProvisionProgress        progress,
                                                  gpointer                   progress_data,
                                                  GDestroyNotify             progress_destroy,
                                                  GCancellable              *cancellable,
                                                  GAsyncReadyCallback        callback,
                                                  gpointer                   user_data);
TsProvisionResult   *ts_workspace_provision_finish (TsWorkspace             *self,
                                                  GAsyncResult              *result,
                                                  GError                   **error);

G_END_DECLS
