/* ts-modem-private.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "ts-modem.h"

G_BEGIN_DECLS

typedef enum
{
  TS_EXCHANGE_NONE         = 0,
  TS_EXCHANGE_QUOTED_WRITE = 1 << 0,   /* a quoted write: recover the quote state on timeout */
} TsExchangeFlags;

/* Shared by ts-modem.c and ts-modem-creds.c; the caller holds the modem's lock. */
void       _ts_modem_lock            (TsModem          *self);
void       _ts_modem_unlock          (TsModem          *self);
GPtrArray *_ts_modem_exchange        (TsModem          *self,
                                      const char       *command,
                                      const char       *label,
                                      const char       *what,
                                      guint             timeout_ms,
                                      TsExchangeFlags   flags,
                                      GCancellable     *cancellable,
                                      GError          **error);
gsize      _ts_modem_stored_length   (TsModem          *self,
                                      const char       *command);
gboolean   _ts_modem_go_offline      (TsModem          *self,
                                      int              *previous,
                                      GCancellable     *cancellable,
                                      GError          **error);
gboolean   _ts_modem_restore_mode    (TsModem          *self,
                                      int               previous,
                                      TsModemWriteFlags flags,
                                      gboolean          succeeded,
                                      GError          **error);

G_END_DECLS
