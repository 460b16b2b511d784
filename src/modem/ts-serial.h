/* ts-serial.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The byte pipe under TsModem: 115200 8N1 with DTR asserted (PROTOCOL.md §1.2,
 * §11). Real ports go through libserialport; pseudo-terminals, which libserialport
 * 0.1.1 refuses, through termios. Reads and writes honour a deadline and a GCancellable. */

typedef struct _TsSerial TsSerial;

TsSerial   *ts_serial_open         (const char    *path,
                                    gboolean       rtscts,
                                    GError       **error);
TsSerial   *ts_serial_new_for_fd   (int            fd,
                                    const char    *label,
                                    GError       **error);
void        ts_serial_free         (TsSerial      *serial);
const char *ts_serial_get_path     (TsSerial      *serial);
gboolean    ts_serial_uses_termios (TsSerial      *serial);

gssize      ts_serial_read         (TsSerial      *serial,
                                    guint8        *buffer,
                                    gsize          size,
                                    gint64         deadline_us,
                                    GCancellable  *cancellable,
                                    GError       **error);
gboolean    ts_serial_write_all    (TsSerial      *serial,
                                    const guint8  *data,
                                    gsize          len,
                                    gint64         deadline_us,
                                    GCancellable  *cancellable,
                                    GError       **error);
void        ts_serial_discard_input (TsSerial     *serial);

gboolean    ts_modem_manager_is_running (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsSerial, ts_serial_free)

G_END_DECLS
