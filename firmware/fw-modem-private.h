/* fw-modem-private.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "fw-at.h"
#include "fw-modem.h"

G_BEGIN_DECLS

/* A handler's result: one of these, or a +CME ERROR number (>= 0). */
#define FW_STATUS_OK     (-1)
#define FW_STATUS_ERROR  (-2)   /* plain ERROR whatever +CMEE says */
#define FW_STATUS_SYNTAX (-3)   /* malformed parameters: ERROR, or the configured CME code */

/* +CME ERROR numbers used by the credential commands (§6.7). */
#define FW_CME_PHONE_FAILURE    0
#define FW_CME_MEMORY_FAILURE   23
#define FW_CME_NOT_FOUND        513
#define FW_CME_NO_ACCESS        514
#define FW_CME_MEMORY_FULL      515
#define FW_CME_ACTIVE_STATE     518
#define FW_CME_ALREADY_EXISTS   519
#define FW_CME_KEYGEN_FAILED    523
#define FW_CME_INVALID_CONTENT  527

struct _FwModem
{
  FwModemConfig  config;
  FwDevice      *device;         /* (owned) */
  int            cfun;
  gboolean       lte_active;     /* CFUN 1, 2, 21 (§5) */
  int            cmee;
  int            cereg;          /* +CEREG subscription level, 0 = none */
  gboolean       xmodemsleep;    /* %XMODEMSLEEP subscription */
  GQueue         urcs;           /* (element-type Urc), by due time */
};

typedef int (*FwHandler) (FwModem           *self,
                          const FwAtCommand *command,
                          GString           *lines,
                          guint             *busy_ms);

int      fw_cmng_handle         (FwModem           *self,
                                 const FwAtCommand *command,
                                 GString           *lines,
                                 guint             *busy_ms);
int      fw_keygen_handle       (FwModem           *self,
                                 const FwAtCommand *command,
                                 GString           *lines,
                                 guint             *busy_ms);
int      fw_attesttoken_handle  (FwModem           *self,
                                 const FwAtCommand *command,
                                 GString           *lines,
                                 guint             *busy_ms);

gboolean fw_modem_commit        (FwModem           *self);
void     fw_modem_firmware_uuid (FwModem           *self,
                                 guint8             uuid[16]);

G_END_DECLS
