/* ts-provision-error.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TS_PROVISION_ERROR (ts_provision_error_quark ())

/**
 * TsProvisionError:
 * @TS_PROVISION_ERROR_INVALID_INPUT: a file or option the flow was given is unusable.
 * @TS_PROVISION_ERROR_NOT_SUPPORTED: the modem cannot do what was asked (old firmware).
 * @TS_PROVISION_ERROR_OCCUPIED: the sec_tag holds credentials the flow will not replace
 *   without being told to.
 * @TS_PROVISION_ERROR_VERIFY_FAILED: what the modem holds afterwards is not what was sent.
 * @TS_PROVISION_ERROR_REPORT: the lot report could not be read or written.
 *
 * Errors of the provisioning flows. Errors of the layers they compose
 * (%CA_ERROR, %TS_MODEM_ERROR, %TS_CME_ERROR) pass through unchanged.
 */
typedef enum
{
  TS_PROVISION_ERROR_INVALID_INPUT,
  TS_PROVISION_ERROR_NOT_SUPPORTED,
  TS_PROVISION_ERROR_OCCUPIED,
  TS_PROVISION_ERROR_VERIFY_FAILED,
  TS_PROVISION_ERROR_REPORT,
} TsProvisionError;

GQuark ts_provision_error_quark (void);

G_END_DECLS
