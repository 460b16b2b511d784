/* ts-credential-dialog.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "ts-workspace.h"

G_BEGIN_DECLS

/* What to write: checked by ts_store_check_credential() before it is returned. */
typedef struct
{
  guint32  sec_tag;
  guint    type;
  GBytes  *content;   /* wiped when freed: it may be a private key or PSK */
} TsCredentialInput;

void               ts_credential_input_free        (TsCredentialInput    *input);

/* "Add a Credential": a type, a sec_tag and the content, pasted or from a file.
 * The Add button stays off until the content is valid for the type. */
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
