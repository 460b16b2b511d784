/* fw-bridge.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The application firmware between the UART and the modem: the AT host library's
 * line mode (§2.1) or the Zephyr shell's `at` command (§2.2). */

typedef enum
{
  FW_TERMINATION_CR,     /* CONFIG_CR_TERMINATION, the default */
  FW_TERMINATION_LF,
  FW_TERMINATION_CRLF,
  FW_TERMINATION_NUL,
} FwTermination;

typedef struct _FwBridge FwBridge;

FwBridge *fw_bridge_new_line   (FwTermination  termination,
                                gsize          buffer_size);
FwBridge *fw_bridge_new_shell  (const char    *prompt,
                                gboolean       unescape_lf,
                                gsize          buffer_size);
void      fw_bridge_free       (FwBridge      *self);

gboolean  fw_bridge_is_shell   (FwBridge      *self);
void      fw_bridge_reset      (FwBridge      *self);
char     *fw_bridge_feed       (FwBridge      *self,
                                guint8         byte,
                                GString       *output);
void      fw_bridge_wrap_reply (FwBridge      *self,
                                GString       *reply);
void      fw_bridge_prompt     (FwBridge      *self,
                                GString       *output);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FwBridge, fw_bridge_free)

G_END_DECLS
