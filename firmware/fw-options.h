/* fw-options.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "fw-bridge.h"
#include "fw-modem.h"

G_BEGIN_DECLS

/* Everything the command line decides. */
typedef struct
{
  FwModemConfig  modem;
  char          *imei;              /* (nullable) validated */
  char          *state_path;        /* (nullable) */
  char          *link_path;         /* (nullable) */
  guint          baud;
  gboolean       pacing;
  FwTermination  termination;
  gsize          buffer_size;       /* CONFIG_AT_HOST_CMD_MAX_LEN */
  gboolean       shell;
  char          *prompt;
  gboolean       unescape_lf;
  gboolean       banner;
  gboolean       first_command_error;
  guint          idle_urc_ms;
  guint          search_urc_ms;     /* period of +CEREG "searching" URCs; 0 = off */
  GByteArray    *stale_input;       /* (nullable) bytes already in the AT host buffer */
  gboolean       verbose;
  guint32        seed;

  /* --fault */
  guint          hangup_after;      /* bytes of one command; 0 = never */
  double         noise_rate;        /* chance of a garbage line after each answer */
  guint          delay_ms;          /* extra delay before every answer */
  GPtrArray     *drop_final;        /* (element-type utf8) command prefixes, upper case */
  guint          reboot_after;      /* commands; 0 = never */
  guint          reboot_at_byte;    /* bytes received since start; 0 = never */
} FwOptions;

gboolean fw_options_parse (FwOptions   *options,
                           int         *argc,
                           char      ***argv,
                           GError     **error);
void     fw_options_clear (FwOptions   *options);

G_END_DECLS
