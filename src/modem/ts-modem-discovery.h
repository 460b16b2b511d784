/* ts-modem-discovery.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Finding modems: USB serial ports identified by the board table of protocol
 * reference §1.1, and running tagsmith-emulator instances registered under
 * $XDG_RUNTIME_DIR/tagsmith/emulators/. */

typedef enum
{
  TS_PORT_KIND_BOARD,      /* a known nRF91 kit; @path is its AT port (interface 0) */
  TS_PORT_KIND_UNKNOWN,    /* some other serial device; may still be a custom nRF91 board */
  TS_PORT_KIND_EMULATOR,   /* a running tagsmith-emulator */
} TsPortKind;

typedef struct
{
  TsPortKind  kind;
  char       *path;         /* what to open: /dev/ttyACM0, the emulator's pty or link */
  char       *board;        /* "nRF9160 DK", "Thingy:91 X"; NULL when unknown */
  char       *description;  /* libserialport's description, or "tagsmith-emulator" */
  char       *serial;       /* USB serial number; NULL when none */
  guint16     usb_vid;      /* 0 when not USB */
  guint16     usb_pid;
  int         interface;    /* USB interface number; -1 when unknown */
  /* Emulators only: */
  char       *profile;
  char       *imei;
  char       *model;
  GPid        pid;
} TsPortInfo;

const char  *ts_board_identify         (guint16           usb_vid,
                                        guint16           usb_pid,
                                        const char       *serial);
GPtrArray   *ts_modem_discover         (GError          **error);
GPtrArray   *ts_modem_discover_emulators (const char     *directory);
char        *ts_modem_emulator_dir     (void);
const char  *ts_port_kind_to_string    (TsPortKind        kind);

TsPortInfo  *ts_port_info_copy         (const TsPortInfo *info);
void         ts_port_info_free         (TsPortInfo       *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsPortInfo, ts_port_info_free)

G_END_DECLS
