/* ts-lot-report.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A production lot's report: one row per unit (its latest result), saved as CSV
 * for people and JSON for programs after every unit, so a killed bench loses
 * nothing. A unit that failed before it told its IMEI has a FAIL row of its own,
 * known by its port and reason. Opening an existing report resumes the lot. Not
 * thread-safe: the bench serialises access. */

typedef struct
{
  char    *imei;        /* (nullable) unknown when the unit failed before answering */
  char    *uuid;        /* (nullable) */
  char    *serial;      /* (nullable) the certificate's serial */
  char    *sha256;      /* (nullable) of the certificate as the modem holds it */
  char    *authority;
  guint32  sec_tag;
  gint64   time;        /* Unix seconds, when the unit finished */
  gboolean passed;
  char    *reason;      /* what happened, in words */
  char    *port;        /* (nullable) */
} TsLotEntry;

typedef struct _TsLotReport TsLotReport;

TsLotReport      *ts_lot_report_open        (const char        *lot,
                                             const char        *path,
                                             GError           **error);
void              ts_lot_report_free        (TsLotReport       *report);

const char       *ts_lot_report_get_lot      (TsLotReport      *report);
const char       *ts_lot_report_get_csv_path (TsLotReport      *report);
const char       *ts_lot_report_get_json_path (TsLotReport     *report);
gboolean          ts_lot_report_is_done     (TsLotReport       *report,
                                             const char        *imei);
void              ts_lot_report_add         (TsLotReport       *report,
                                             TsLotEntry        *entry);
guint             ts_lot_report_count       (TsLotReport       *report,
                                             gboolean           passed);
void              ts_lot_report_set_audit_head (TsLotReport    *report,
                                                const char     *head);
gboolean          ts_lot_report_save        (TsLotReport       *report,
                                             GError           **error);

void              ts_lot_entry_free         (TsLotEntry        *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsLotReport, ts_lot_report_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsLotEntry, ts_lot_entry_free)

G_END_DECLS
