/* ts-provision-steps.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The steps of provisioning one unit, in the order they run. Their names are
 * what TsProvisionProgress and TsProvisionStep carry, what `provision --json`
 * lists under "steps", and what an interrupted run names.
 */
typedef enum
{
  TS_PROVISION_STEP_IDENTIFY,
  TS_PROVISION_STEP_RECONCILE,
  TS_PROVISION_STEP_HISTORY,
  TS_PROVISION_STEP_CHECK,
  TS_PROVISION_STEP_OFFLINE,
  TS_PROVISION_STEP_HOST_KEY,
  TS_PROVISION_STEP_KEYGEN,
  TS_PROVISION_STEP_ISSUE,
  TS_PROVISION_STEP_SERVER_CA,
  TS_PROVISION_STEP_CLIENT_CERT,
  TS_PROVISION_STEP_PRIVATE_KEY,
  TS_PROVISION_STEP_VERIFY,
  TS_PROVISION_STEP_RESTORE,
  TS_PROVISION_STEP_RECORD,
  TS_PROVISION_STEP_REVOKE,
  TS_PROVISION_STEP_CRL,
  TS_PROVISION_N_STEPS,
} TsProvisionStepId;

/* "identify", "server-ca", …; NULL for a value out of range. */
const char        *ts_provision_step_name            (TsProvisionStepId  step);
gboolean           ts_provision_step_parse           (const char        *name,
                                                      TsProvisionStepId *step);
/* Where @step starts on a progress bar of the whole flow, from 0 to 1. */
double             ts_provision_step_fraction        (TsProvisionStepId  step);
/* The step that writes a credential of %CMNG @type. */
TsProvisionStepId  ts_provision_step_for_credential  (guint              type);

G_END_DECLS
