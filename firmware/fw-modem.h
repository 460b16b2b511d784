/* fw-modem.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "fw-device.h"
#include "fw-profile.h"

G_BEGIN_DECLS

/* How the emulated modem firmware behaves where the reference leaves a choice. */
typedef struct
{
  const FwProfile *profile;
  int              power_on_cfun;   /* §10.1: 4 by default */
  int              syntax_error;    /* -1: plain ERROR; else the CME code for malformed commands */
  gboolean         csr_null;        /* §7.3 legacy NULL in the CSR signature algorithm */
  gboolean         modem_entries;   /* list modem-owned entries above 2147483647 (§6.3) */
  gboolean         subscribed;      /* URC subscriptions left by an earlier tool (§3.3) */
  gsize            store_bytes;     /* capacity for host and keygen entries; beyond: 515 */
  guint            keygen_ms_min;   /* modelled key generation time */
  guint            keygen_ms_max;
  guint            flash_ms;        /* modelled flash write time per stored change */
  guint            attach_ms;       /* from +CFUN=1 to "registered" */
} FwModemConfig;

/* One answer: information lines, then the final result code (or none if dropped). */
typedef struct
{
  GString *lines;    /* each line ends in CRLF */
  char    *final;    /* "OK", "ERROR" or "+CME ERROR: <n>", without CRLF */
  guint    busy_ms;  /* modelled processing time */
} FwReply;

typedef struct _FwModem FwModem;

FwModem  *fw_modem_new          (const FwModemConfig *config,
                                 FwDevice            *device);
void      fw_modem_free         (FwModem             *self);

void      fw_modem_boot         (FwModem             *self);
void      fw_modem_execute      (FwModem             *self,
                                 const char          *line,
                                 FwReply             *reply);
void      fw_modem_idle         (FwModem             *self,
                                 guint                idle_ms);
void      fw_modem_searching    (FwModem             *self);
char     *fw_modem_pop_urc      (FwModem             *self,
                                 gint64               now_us);
gint64    fw_modem_next_urc_us  (FwModem             *self);

void      fw_reply_clear        (FwReply             *reply);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FwModem, fw_modem_free)

G_END_DECLS
