/* ts-credential-dialog.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "ts-credential-set.h"
#include "ts-workspace.h"

G_BEGIN_DECLS

/* What to write: checked by ts_credential_set_check() before it is returned. Its
 * parts wipe themselves when freed: they may hold a private key or PSK. */
typedef struct
{
  guint32          sec_tag;
  TsCredentialSet *set;
} TsCredentialInput;

void               ts_credential_input_free        (TsCredentialInput    *input);

/* "Add Credentials": a sec_tag (or a preset that names one) and any of its CA
 * certificate, client certificate, private key, PSK and PSK identity, each pasted
 * or from a file. The Write button stays off until every part given is valid and
 * the parts belong together. */
void               ts_credential_dialog_run_async  (GtkWidget            *parent,
                                                    TsWorkspace          *workspace,
                                                    guint32               default_sec_tag,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
TsCredentialInput *ts_credential_dialog_run_finish (GAsyncResult         *result,
                                                    GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsCredentialInput, ts_credential_input_free)

G_END_DECLS
