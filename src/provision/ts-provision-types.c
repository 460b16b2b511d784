/* ts-provision-types.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-provision-types"

#include "config.h"

#include "ts-provision-private.h"

/**
 * ts_provision_request_new:
 *
 * Returns: (transfer full): a request with the defaults: generic profile, LF
 *   endings, key made on the modem, reason "superseded" for a re-key
 */
TsProvisionRequest *
ts_provision_request_new (const char *authority,
                          guint32     sec_tag)
{
  TsProvisionRequest *request;

  g_return_val_if_fail (authority != NULL, NULL);

  request = g_new0 (TsProvisionRequest, 1);
  request->authority = g_strdup (authority);
  request->profile = g_strdup (CA_PROFILE_DEFAULT);
  request->sec_tag = sec_tag;
  request->endings = TS_LINE_ENDINGS_LF;
  request->reason = CA_REVOKE_SUPERSEDED;

  return request;
}

TsProvisionRequest *
ts_provision_request_copy (const TsProvisionRequest *request)
{
  TsProvisionRequest *copy;

  g_return_val_if_fail (request != NULL, NULL);

  copy = g_memdup2 (request, sizeof *request);
  copy->authority = g_strdup (request->authority);
  copy->profile = g_strdup (request->profile);
  copy->server_ca = request->server_ca != NULL ? g_bytes_ref (request->server_ca) : NULL;
  copy->server_ca_label = g_strdup (request->server_ca_label);
  copy->crl_dir = g_strdup (request->crl_dir);
  copy->lot = g_strdup (request->lot);

  return copy;
}

void
ts_provision_request_free (TsProvisionRequest *request)
{
  if (request == NULL)
    return;

  g_free (request->authority);
  g_free (request->profile);
  g_clear_pointer (&request->server_ca, g_bytes_unref);
  g_free (request->server_ca_label);
  g_free (request->crl_dir);
  g_free (request->lot);
  g_free (request);
}

static void
step_free (gpointer data)
{
  TsProvisionStep *step = data;

  g_free (step->name);
  g_free (step);
}

TsProvisionResult *
_ts_provision_result_new (const TsProvisionRequest *request,
                          const char               *port)
{
  TsProvisionResult *result = g_new0 (TsProvisionResult, 1);

  result->port = g_strdup (port);
  result->authority = g_strdup (request->authority);
  result->profile = g_strdup (request->profile);
  result->sec_tag = request->sec_tag;
  result->steps = g_ptr_array_new_with_free_func (step_free);
  result->notices = g_ptr_array_new_with_free_func (g_free);
  result->revoked = g_ptr_array_new_with_free_func (g_free);
  result->crl_paths = g_ptr_array_new_with_free_func (g_free);

  return result;
}

void
ts_provision_result_free (TsProvisionResult *result)
{
  if (result == NULL)
    return;

  g_clear_error (&result->error);
  g_free (result->port);
  g_free (result->imei);
  g_free (result->device_uuid);
  g_free (result->model);
  g_free (result->firmware);
  g_free (result->authority);
  g_free (result->profile);
  g_free (result->serial);
  g_free (result->sha256);
  g_free (result->subject);
  g_ptr_array_unref (result->steps);
  g_ptr_array_unref (result->notices);
  g_ptr_array_unref (result->revoked);
  g_ptr_array_unref (result->crl_paths);
  g_free (result);
}

const char *
ts_provision_outcome_to_string (TsProvisionOutcome outcome)
{
  switch (outcome)
    {
    case TS_PROVISION_PROVISIONED:
      return "provisioned";
    case TS_PROVISION_ALREADY_PROVISIONED:
      return "already-provisioned";
    default:
      g_return_val_if_reached (NULL);
    }
}
