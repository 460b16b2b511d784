/* ts-message-bin.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TS_TYPE_MESSAGE_BIN (ts_message_bin_get_type ())

G_DECLARE_FINAL_TYPE (TsMessageBin, ts_message_bin, TS, MESSAGE_BIN, GtkWidget)

GtkWidget *ts_message_bin_new         (void);
GtkWidget *ts_message_bin_get_child   (TsMessageBin *self);
void       ts_message_bin_set_child   (TsMessageBin *self,
                                       GtkWidget    *child);
AdwToast  *ts_message_bin_add_toast   (TsMessageBin *self,
                                       const char   *text);
void       ts_message_bin_add_message (TsMessageBin *self,
                                       const char   *text);
void       ts_message_bin_add_confirmation (TsMessageBin *self,
                                            const char   *text);
guint      ts_message_bin_get_n_messages (TsMessageBin *self);

G_END_DECLS
