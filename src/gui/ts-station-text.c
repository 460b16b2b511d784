/* ts-station-text.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-station-text"

#include "config.h"

#include <glib/gi18n.h>

#include "ts-station-text.h"
#include "ts-text.h"

const CaStation *
ts_station_find (GPtrArray  *stations,
                 const char *name)
{
  g_return_val_if_fail (stations != NULL, NULL);

  for (guint i = 0; name != NULL && i < stations->len; i++)
    {
      const CaStation *station = g_ptr_array_index (stations, i);

      if (g_strcmp0 (station->name, name) == 0)
        return station;
    }

  return NULL;
}

char *
ts_station_advice (GPtrArray  *stations,
                   const char *wanted)
{
  const CaStation *station;
  g_autofree char *when = NULL;

  g_return_val_if_fail (stations != NULL, NULL);

  if (wanted == NULL || wanted[0] == '\0')
    return NULL;

  station = ts_station_find (stations, wanted);
  if (station == NULL)
    return g_strdup_printf (_("This bench is set to be the station “%s”, but this ledger has no station "
                              "of that name, so nothing is recorded as made here. Choose this bench’s "
                              "station in Preferences, or enroll it under Authorities."), wanted);
  if (station->status != CA_CERT_STATUS_REVOKED)
    return NULL;

  when = ts_format_date (station->revoked_at);
  return g_strdup_printf (_("The station “%s” was revoked on %s (%s), so this bench can no longer issue "
                            "or provision as it. Enroll this bench again under a new name under "
                            "Authorities, then choose that station in Preferences."),
                          station->name, when, ts_revoke_reason_label (station->revoke_reason));
}

const char *
ts_station_authority (GPtrArray  *stations,
                      const char *wanted)
{
  const CaStation *station;

  g_return_val_if_fail (stations != NULL, NULL);

  station = ts_station_find (stations, wanted);
  if (station == NULL || station->status == CA_CERT_STATUS_REVOKED)
    return NULL;

  return station->authority_name;
}

char *
ts_station_describe (GPtrArray  *stations,
                     const char *wanted)
{
  const CaStation *station;

  g_return_val_if_fail (stations != NULL, NULL);

  if (wanted == NULL || wanted[0] == '\0')
    return g_strdup (_("This bench is not a station: what it makes records no station"));
  station = ts_station_find (stations, wanted);
  if (station == NULL || station->status == CA_CERT_STATUS_REVOKED)
    return g_strdup_printf (_("Not running as the station “%s”: see the message above"), wanted);

  return g_strdup_printf (_("Runs as the station “%s”: its CA “%s” signs unless you choose another"),
                          station->name, station->authority_name);
}

char *
ts_station_summary (const CaStation *station)
{
  g_autofree char *enrolled = NULL;

  g_return_val_if_fail (station != NULL, NULL);

  if (station->status == CA_CERT_STATUS_REVOKED)
    {
      g_autofree char *revoked = ts_format_date (station->revoked_at);

      return g_strdup_printf (_("CA “%s” below “%s” · revoked %s (%s)"), station->authority_name,
                              station->parent_name, revoked,
                              ts_revoke_reason_label (station->revoke_reason));
    }

  enrolled = ts_format_date (station->created_at);
  return g_strdup_printf (g_dngettext (NULL, "CA “%s” below “%s” · enrolled %s · %" G_GINT64_FORMAT " device",
                                       "CA “%s” below “%s” · enrolled %s · %" G_GINT64_FORMAT " devices",
                                       station->device_count),
                          station->authority_name, station->parent_name, enrolled, station->device_count);
}

char *
ts_station_where (const char *station)
{
  return station != NULL ? g_strdup_printf (_(" · at station %s"), station) : g_strdup ("");
}
