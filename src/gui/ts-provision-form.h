/* ts-provision-form.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "ts-provision.h"
#include "ts-workspace.h"

G_BEGIN_DECLS

#define TS_TYPE_PROVISION_FORM (ts_provision_form_get_type ())

G_DECLARE_FINAL_TYPE (TsProvisionForm, ts_provision_form, TS, PROVISION_FORM, AdwBin)

typedef enum
{
  TS_PROVISION_FORM_PROVISION,
  TS_PROVISION_FORM_REKEY,        /* adds the revocation reason */
  TS_PROVISION_FORM_PRODUCTION,   /* adds the lot */
} TsProvisionFormMode;

/* The choices of a provisioning run: CA, profile, sec_tag, server CA, key origin
 * (and the lot or the re-key reason), starting from the preferences. Shared by the
 * device window's Provision/Re-key dialog and the Production page. */
TsProvisionForm    *ts_provision_form_new          (TsProvisionFormMode   mode);
void                ts_provision_form_set_authorities (TsProvisionForm   *self,
                                                    GPtrArray            *authorities);
/* Chooses @name (a station's CA, say) now, and whenever the list reloads, if listed. */
void                ts_provision_form_prefer_authority (TsProvisionForm  *self,
                                                    const char           *name);
gboolean            ts_provision_form_is_ready     (TsProvisionForm      *self);
void                ts_provision_form_set_rekey_device (TsProvisionForm  *self,
                                                    TsWorkspace          *workspace,
                                                    const char           *imei);

/* Builds the request through @workspace, whose provisioning defaults the form's
 * choices become; the server CA named in the form is loaded (and checked) in a
 * worker thread. */
void                ts_provision_form_build_async  (TsProvisionForm      *self,
                                                    TsWorkspace          *workspace,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
TsProvisionRequest *ts_provision_form_build_finish (TsProvisionForm      *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

G_END_DECLS
