/* ts-station-text.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <ca.h>

G_BEGIN_DECLS

/*
 * What the window says about stations, the benches that share one ledger.
 * GLib only, so the unit suite tests it with no display.
 */

/* The station called @name in @stations (element-type CaStation), or NULL. */
const CaStation *ts_station_find       (GPtrArray       *stations,
                                        const char      *name);
/* Why this bench cannot act as @wanted (NULL or "": no station, always fine),
 * with what to do in the window; NULL when it can. */
char            *ts_station_advice     (GPtrArray       *stations,
                                        const char      *wanted) G_GNUC_WARN_UNUSED_RESULT;
/* The CA of @wanted when this bench can act as it, else NULL: the first choice
 * of a provisioning form. */
const char      *ts_station_authority  (GPtrArray       *stations,
                                        const char      *wanted);
/* One line on which station this bench runs as, for the Production page. */
char            *ts_station_describe   (GPtrArray       *stations,
                                        const char      *wanted) G_GNUC_WARN_UNUSED_RESULT;
/* A station's state, with its intermediate, for a list of stations. */
char            *ts_station_summary    (const CaStation *station) G_GNUC_WARN_UNUSED_RESULT;
/* " · at station NAME" after a step recorded at a station; "" before stations. */
char            *ts_station_where      (const char      *station) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
