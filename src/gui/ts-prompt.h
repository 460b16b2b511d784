/* ts-prompt.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum
{
  TS_PROMPT_TEXT,
  TS_PROMPT_SECRET,   /* a password entry; the result must be wiped by the caller */
} TsPromptKind;

/* Asks for one line of text in a message dialog. Finishes with the text, or
 * G_IO_ERROR_CANCELLED when the user backs out. */
void  ts_prompt_async  (GtkWidget            *parent,
                        TsPromptKind          kind,
                        const char           *heading,
                        const char           *body,
                        const char           *entry_label,
                        const char           *accept_label,
                        GCancellable         *cancellable,
                        GAsyncReadyCallback   callback,
                        gpointer              user_data);
char *ts_prompt_finish (GAsyncResult         *result,
                        GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Asks to confirm something that cannot be undone; finishes TRUE when confirmed. */
void     ts_confirm_async  (GtkWidget            *parent,
                            const char           *heading,
                            const char           *body,
                            const char           *accept_label,
                            GCancellable         *cancellable,
                            GAsyncReadyCallback   callback,
                            gpointer              user_data);
gboolean ts_confirm_finish (GAsyncResult         *result,
                            GError              **error);

G_END_DECLS
