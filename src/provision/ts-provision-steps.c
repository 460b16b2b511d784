/* ts-provision-steps.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-provision-steps"

#include "config.h"

#include "ts-nrf91.h"
#include "ts-provision-steps.h"

static const struct
{
  const char *name;
  double      fraction;
} steps[] = {
  [TS_PROVISION_STEP_IDENTIFY]    = { "identify",    0.00 },
  [TS_PROVISION_STEP_RECONCILE]   = { "reconcile",   0.05 },
  [TS_PROVISION_STEP_HISTORY]     = { "history",     0.08 },
  [TS_PROVISION_STEP_CHECK]       = { "check",       0.10 },
  [TS_PROVISION_STEP_OFFLINE]     = { "offline",     0.15 },
  [TS_PROVISION_STEP_HOST_KEY]    = { "host-key",    0.18 },
  [TS_PROVISION_STEP_KEYGEN]      = { "keygen",      0.18 },
  [TS_PROVISION_STEP_ISSUE]       = { "issue",       0.40 },
  [TS_PROVISION_STEP_SERVER_CA]   = { "server-ca",   0.45 },
  [TS_PROVISION_STEP_CLIENT_CERT] = { "client-cert", 0.60 },
  [TS_PROVISION_STEP_PRIVATE_KEY] = { "private-key", 0.72 },
  [TS_PROVISION_STEP_VERIFY]      = { "verify",      0.80 },
  [TS_PROVISION_STEP_RESTORE]     = { "restore",     0.88 },
  [TS_PROVISION_STEP_RECORD]      = { "record",      0.92 },
  [TS_PROVISION_STEP_REVOKE]      = { "revoke",      0.94 },
  [TS_PROVISION_STEP_CRL]         = { "crl",         0.97 },
};

G_STATIC_ASSERT (G_N_ELEMENTS (steps) == TS_PROVISION_N_STEPS);

const char *
ts_provision_step_name (TsProvisionStepId step)
{
  return (guint) step < G_N_ELEMENTS (steps) ? steps[step].name : NULL;
}

gboolean
ts_provision_step_parse (const char        *name,
                         TsProvisionStepId *step)
{
  g_return_val_if_fail (step != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    if (g_strcmp0 (name, steps[i].name) == 0)
      {
        *step = (TsProvisionStepId) i;
        return TRUE;
      }

  return FALSE;
}

double
ts_provision_step_fraction (TsProvisionStepId step)
{
  g_return_val_if_fail ((guint) step < G_N_ELEMENTS (steps), 0);

  return steps[step].fraction;
}

TsProvisionStepId
ts_provision_step_for_credential (guint type)
{
  switch (type)
    {
    case TS_CRED_CA_CERT:
      return TS_PROVISION_STEP_SERVER_CA;
    case TS_CRED_CLIENT_CERT:
      return TS_PROVISION_STEP_CLIENT_CERT;
    default:
      return TS_PROVISION_STEP_PRIVATE_KEY;
    }
}
