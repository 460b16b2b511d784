/* ts-line.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "ts-lot-report.h"
#include "ts-provision.h"
#include "ts-workspace.h"

G_BEGIN_DECLS

/*
 * The production bench: watches discovery for kits (USB boards and emulators)
 * appearing, provisions each unit once per lot, and keeps the lot report. Used
 * by `tagsmith line` and the GUI's Production page.
 *
 * ts_line_run() blocks until the bench stops; run it in a worker thread (or use
 * ts_line_run_async(), through the workspace's runner). Each unit's port is
 * held under a lease of the workspace while it is provisioned, and opened as
 * the workspace's provisioning defaults say. ts_line_stop() may be called from any thread: no new
 * unit is started, the units in flight finish, and the report is written.
 * Cancelling the GCancellable passed to ts_line_run() also interrupts the units
 * in flight (their modems are still put back in their previous mode).
 */

#define TS_TYPE_LINE (ts_line_get_type ())

G_DECLARE_FINAL_TYPE (TsLine, ts_line, TS, LINE, GObject)

typedef enum
{
  TS_LINE_EVENT_STARTED,   /* a unit appeared and is being provisioned */
  TS_LINE_EVENT_PASS,
  TS_LINE_EVENT_FAIL,
  TS_LINE_EVENT_SKIPPED,   /* the unit is already done in this lot */
} TsLineEventKind;

/**
 * TsLineEvent:
 * @imei: (nullable): unknown until the unit answered; a unit that failed before
 *   it told its IMEI is counted and has a report row with its port and reason
 * @message: the reason, in words
 * @result: (nullable): the provisioning result of PASS and FAIL events
 * @passed: units passed in this lot so far (a resumed lot counts its earlier ones)
 * @failed: units whose latest attempt failed
 * @in_flight: units being provisioned now
 */
typedef struct
{
  TsLineEventKind          kind;
  const char              *port;
  const char              *imei;
  const char              *message;
  const TsProvisionResult *result;
  guint                    passed;
  guint                    failed;
  guint                    in_flight;
} TsLineEvent;

/* Called on a worker thread, one event at a time. */
typedef void (*TsLineObserver) (const TsLineEvent *event,
                                gpointer           user_data);

TsLine      *ts_line_new              (TsWorkspace               *workspace,
                                       const TsProvisionRequest  *request,
                                       const char                *lot,
                                       const char                *report_path,
                                       GError                   **error);
void         ts_line_set_parallel     (TsLine                    *self,
                                       guint                      max_units);
void         ts_line_set_poll_interval (TsLine                   *self,
                                       guint                      interval_ms);
void         ts_line_set_max_units    (TsLine                    *self,
                                       guint                      max_units);
void         ts_line_set_observer     (TsLine                    *self,
                                       TsLineObserver             observer,
                                       gpointer                   user_data,
                                       GDestroyNotify             destroy);
const char  *ts_line_get_lot          (TsLine                    *self);
const char  *ts_line_get_csv_path     (TsLine                    *self);
const char  *ts_line_get_json_path    (TsLine                    *self);
guint        ts_line_get_passed       (TsLine                    *self);
guint        ts_line_get_failed       (TsLine                    *self);

gboolean     ts_line_run              (TsLine                    *self,
                                       GCancellable              *cancellable,
                                       GError                   **error);
void         ts_line_stop             (TsLine                    *self);
void         ts_line_run_async        (TsLine                    *self,
                                       GCancellable              *cancellable,
                                       GAsyncReadyCallback        callback,
                                       gpointer                   user_data);
gboolean     ts_line_run_finish       (TsLine                    *self,
                                       GAsyncResult              *result,
                                       GError                   **error);

G_END_DECLS
