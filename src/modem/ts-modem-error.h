/* ts-modem-error.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TS_MODEM_ERROR (ts_modem_error_quark ())
#define TS_CME_ERROR   (ts_cme_error_quark ())

/**
 * TsModemError:
 * @TS_MODEM_ERROR_FAILED: Unexpected failure; the message says more.
 * @TS_MODEM_ERROR_TIMEOUT: No final result code arrived in time.
 * @TS_MODEM_ERROR_DISCONNECTED: The port went away (cable pulled, emulator stopped).
 * @TS_MODEM_ERROR_BUSY: Another program holds the port.
 * @TS_MODEM_ERROR_PERMISSION: The user may not open the port (dialout group).
 * @TS_MODEM_ERROR_NOT_FOUND: No such port.
 * @TS_MODEM_ERROR_NO_ANSWER: The port is open but nothing answers `AT`.
 * @TS_MODEM_ERROR_PROTOCOL: The modem answered something that does not parse.
 * @TS_MODEM_ERROR_AT_ERROR: A bare `ERROR` final result code.
 * @TS_MODEM_ERROR_INVALID_INPUT: Refused before sending: bad content, size, sec_tag or type.
 * @TS_MODEM_ERROR_VERIFY_FAILED: A check after the fact failed (SHA-256, COSE digest, UUID).
 * @TS_MODEM_ERROR_NOT_SUPPORTED: The modem firmware or bridge cannot do this.
 *
 * Errors of the modem layer. `+CME ERROR: <n>` answers use %TS_CME_ERROR
 * instead, with the modem's number as the GError code.
 */
typedef enum
{
  TS_MODEM_ERROR_FAILED,
  TS_MODEM_ERROR_TIMEOUT,
  TS_MODEM_ERROR_DISCONNECTED,
  TS_MODEM_ERROR_BUSY,
  TS_MODEM_ERROR_PERMISSION,
  TS_MODEM_ERROR_NOT_FOUND,
  TS_MODEM_ERROR_NO_ANSWER,
  TS_MODEM_ERROR_PROTOCOL,
  TS_MODEM_ERROR_AT_ERROR,
  TS_MODEM_ERROR_INVALID_INPUT,
  TS_MODEM_ERROR_VERIFY_FAILED,
  TS_MODEM_ERROR_NOT_SUPPORTED,
} TsModemError;

GQuark      ts_modem_error_quark   (void);
GQuark      ts_cme_error_quark     (void);

const char *ts_cme_error_advice    (int          code);
void        ts_set_cme_error       (GError     **error,
                                    int          code,
                                    const char  *command);

G_END_DECLS
