/* ts-production-page.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-production-page"

#include "config.h"

#include <errno.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "ts-authority-lists.h"
#include "ts-dossier-flow.h"
#include "ts-gui-util.h"
#include "ts-line.h"
#include "ts-production-page.h"
#include "ts-provision-form.h"
#include "ts-station-text.h"
#include "ts-unlock.h"
#include "ts-workspace-ca.h"

/* A long lot keeps only its newest rows on screen; the report has them all. */
#define MAX_ROWS 500

struct _TsProductionPage
{
  AdwBin           parent_instance;

  /* Template widgets */
  GtkStack        *stack;             /* borrowed: the bin's child */
  AdwBin          *form_bin;
  GtkLabel        *station_label;
  GtkWidget       *verdict_box;
  GtkLabel        *verdict_label;
  GtkLabel        *imei_label;
  GtkLabel        *reason_label;
  GtkLabel        *passed_label;
  GtkLabel        *failed_label;
  GtkLabel        *in_flight_label;
  GtkSpinner      *spinner;
  GtkLabel        *status_label;
  GtkFlowBox      *counters;
  GtkFlowBox      *actions_box;
  GtkWidget       *stop_button;
  GtkWidget       *new_button;
  GtkListBox      *units_list;

  /* Owned references */
  TsWorkspace     *workspace;
  TsProvisionForm *form;
  GCancellable    *cancellable;       /* the page's own loads */
  GCancellable    *line_cancellable;  /* from Start until the line has returned */
  TsLine          *line;              /* the current or last line, for its report */
  GHashTable      *rows_in_flight;    /* port → GtkListBoxRow (borrowed) */
  GSettings       *settings;
  char            *station_advice;    /* (nullable) the advice last shown on the station */

  guint            generation;        /* tells a finished line's late events apart */
  guint            in_flight;
  gboolean         starting;
  gboolean         running;
  gboolean         stopping;
};

G_DEFINE_FINAL_TYPE (TsProductionPage, ts_production_page, ADW_TYPE_BIN)

typedef enum
{
  VERDICT_WAITING,
  VERDICT_WORKING,
  VERDICT_PASS,
  VERDICT_FAIL,
  VERDICT_SKIPPED,
} Verdict;

static const struct
{
  const char *text;
  const char *style;   /* on the verdict box and on the rows' badges */
} verdicts[] = {
  [VERDICT_WAITING] = { N_("WAITING"), NULL },
  [VERDICT_WORKING] = { N_("WORKING"), "accent" },
  [VERDICT_PASS]    = { N_("PASS"), "success" },
  [VERDICT_FAIL]    = { N_("FAIL"), "error" },
  [VERDICT_SKIPPED] = { N_("DONE BEFORE"), "warning" },
};

static void
set_style (GtkWidget *widget,
           Verdict    verdict)
{
  for (guint i = 0; i < G_N_ELEMENTS (verdicts); i++)
    if (verdicts[i].style != NULL)
      gtk_widget_remove_css_class (widget, verdicts[i].style);
  if (verdicts[verdict].style != NULL)
    gtk_widget_add_css_class (widget, verdicts[verdict].style);
}

static void
show_error (TsProductionPage *self,
            const GError     *error)
{
  if (gtk_widget_get_root (GTK_WIDGET (self)) != NULL)
    ts_show_error (GTK_WIDGET (self), error);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("%s", error->message);
}

static void
show_toast (TsProductionPage *self,
            const char       *message)
{
  ts_show_toast (GTK_WIDGET (self), message);
}

/* Only while units are in flight: a bench may wait for kits for hours, and an
 * animation redraws the window all that time (costly without a GPU). */
static void
update_spinner (TsProductionPage *self)
{
  gboolean busy = self->running && (self->in_flight > 0 || self->stopping);

  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
}

static void
update_actions (TsProductionPage *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean busy = self->starting || self->running;

  gtk_widget_action_set_enabled (widget, "production.start",
                                 !busy && ts_provision_form_is_ready (self->form));
  gtk_widget_action_set_enabled (widget, "production.stop", self->running && !self->stopping);
  gtk_widget_action_set_enabled (widget, "production.new", !busy);
  gtk_widget_action_set_enabled (widget, "production.export", self->line != NULL);
  gtk_widget_action_set_enabled (widget, "production.open-folder", self->line != NULL);

  gtk_widget_set_visible (self->stop_button, self->running);
  gtk_widget_set_visible (self->new_button, !self->running);
  update_spinner (self);
}

/* The big number, with a name that says what it counts for screen readers. */
static void
set_counter (GtkLabel   *label,
             guint       value,
             const char *name_format)
{
  g_autofree char *text = g_strdup_printf ("%u", value);
  g_autofree char *name = g_strdup_printf (name_format, value);

  gtk_label_set_text (label, text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

static void
set_counters (TsProductionPage *self,
              guint             passed,
              guint             failed,
              guint             in_flight)
{
  /* Translators: the accessible name of the big counter, e.g. "3 passed" */
  set_counter (self->passed_label, passed, _("%u passed"));
  /* Translators: the accessible name of the big counter, e.g. "1 failed" */
  set_counter (self->failed_label, failed, _("%u failed"));
  /* Translators: the accessible name of the big counter, e.g. "2 in progress" */
  set_counter (self->in_flight_label, in_flight, _("%u in progress"));
}

static void
set_verdict (TsProductionPage *self,
             Verdict           verdict,
             const char       *imei,
             const char       *reason)
{
  gtk_label_set_text (self->verdict_label, _(verdicts[verdict].text));
  gtk_label_set_text (self->imei_label, imei != NULL ? imei : "");
  gtk_widget_set_visible (GTK_WIDGET (self->imei_label), imei != NULL);
  gtk_label_set_text (self->reason_label, reason != NULL ? reason : "");
  set_style (self->verdict_box, verdict);
}

static void
set_status (TsProductionPage *self,
            guint             in_flight)
{
  g_autofree char *text = NULL;

  if (self->stopping)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "Stopping: %u unit in flight finishes, then the report "
                                         "is written.",
                                         "Stopping: %u units in flight finish, then the report "
                                         "is written.", in_flight), in_flight);
  else if (in_flight > 0)
    text = g_strdup_printf (_("Lot %s: provisioning. Leave the kit plugged in until it shows "
                              "PASS or FAIL."), ts_line_get_lot (self->line));
  else
    text = g_strdup_printf (_("Lot %s: waiting for the next kit. Plug one in."),
                            ts_line_get_lot (self->line));

  gtk_label_set_text (self->status_label, text);
}

/* Units ------------------------------------------------------------------------- */

static void
set_row (GtkWidget  *row,
         Verdict     verdict,
         const char *port,
         const char *imei,
         const char *reason)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *time = g_date_time_format (now, "%H:%M:%S");
  g_autofree char *subtitle = g_strdup_printf ("%s · %s · %s", time,
                                               port != NULL ? port : "—", reason);
  g_autofree char *title = g_markup_escape_text (imei != NULL ? imei : _("IMEI unknown"), -1);
  g_autofree char *escaped = g_markup_escape_text (subtitle, -1);
  GtkWidget *badge = g_object_get_data (G_OBJECT (row), "ts-badge");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), escaped);
  gtk_label_set_text (GTK_LABEL (badge), _(verdicts[verdict].text));
  set_style (badge, verdict);
}

static GtkWidget *
add_row (TsProductionPage *self)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *badge = gtk_label_new (NULL);
  GtkListBoxRow *oldest;

  gtk_widget_add_css_class (badge, "ts-badge");
  gtk_widget_set_valign (badge, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), badge);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);
  g_object_set_data (G_OBJECT (row), "ts-badge", badge);
  gtk_list_box_prepend (self->units_list, row);

  oldest = gtk_list_box_get_row_at_index (self->units_list, MAX_ROWS);
  if (oldest != NULL)
    gtk_list_box_remove (self->units_list, GTK_WIDGET (oldest));

  return row;
}

/* Not ts_clear_children(): the list's placeholder is a child too. */
static void
clear_rows (TsProductionPage *self)
{
  GtkListBoxRow *row;

  while ((row = gtk_list_box_get_row_at_index (self->units_list, 0)) != NULL)
    gtk_list_box_remove (self->units_list, GTK_WIDGET (row));
}

/* The row of a unit in flight on @port, or a new one. */
static GtkWidget *
take_row (TsProductionPage *self,
          const char       *port)
{
  GtkWidget *row = NULL;

  if (port != NULL && g_hash_table_steal_extended (self->rows_in_flight, port, NULL,
                                                   (gpointer *) &row) &&
      gtk_widget_get_parent (row) == GTK_WIDGET (self->units_list))
    return row;

  return add_row (self);
}

/* Events from the line's worker threads ------------------------------------------ */

typedef struct
{
  TsProductionPage *page;
  guint             generation;
  TsLineEventKind   kind;
  char             *port;
  char             *imei;
  char             *message;
  guint             passed;
  guint             failed;
  guint             in_flight;
} Event;

static void
event_free (gpointer pointer)
{
  Event *event = pointer;

  g_clear_object (&event->page);
  g_free (event->port);
  g_free (event->imei);
  g_free (event->message);
  g_free (event);
}

static gboolean
deliver_event (gpointer user_data)
{
  Event *event = user_data;
  TsProductionPage *self = event->page;
  Verdict verdict;
  GtkWidget *row;

  if (event->generation != self->generation || self->line == NULL ||
      gtk_widget_get_root (GTK_WIDGET (self)) == NULL)
    return G_SOURCE_REMOVE;

  self->in_flight = event->in_flight;
  update_spinner (self);

  set_counters (self, event->passed, event->failed, event->in_flight);
  set_status (self, event->in_flight);

  switch (event->kind)
    {
    case TS_LINE_EVENT_STARTED:
      set_verdict (self, VERDICT_WORKING, event->imei, event->message);
      row = add_row (self);
      set_row (row, VERDICT_WORKING, event->port, event->imei, event->message);
      if (event->port != NULL)
        g_hash_table_replace (self->rows_in_flight, g_strdup (event->port), row);
      return G_SOURCE_REMOVE;

    case TS_LINE_EVENT_PASS:
    case TS_LINE_EVENT_FAIL:
      verdict = event->kind == TS_LINE_EVENT_PASS ? VERDICT_PASS : VERDICT_FAIL;
      /* Signing counts as use: the change re-arms the auto-lock, which must not
       * close the CAs mid-lot. */
      ts_workspace_changed (self->workspace);
      break;

    case TS_LINE_EVENT_SKIPPED:
    default:
      verdict = VERDICT_SKIPPED;
      break;
    }

  set_verdict (self, verdict, event->imei, event->message);
  set_row (take_row (self, event->port), verdict, event->port, event->imei, event->message);

  return G_SOURCE_REMOVE;
}

typedef struct
{
  GWeakRef page;
  guint    generation;
} Observer;

static void
observer_free (gpointer pointer)
{
  Observer *observer = pointer;

  g_weak_ref_clear (&observer->page);
  g_free (observer);
}

/* On a unit's worker thread: copy the event and hand it to the main loop. */
static void
line_observer (const TsLineEvent *line_event,
               gpointer           user_data)
{
  Observer *observer = user_data;
  TsProductionPage *page = g_weak_ref_get (&observer->page);
  Event *event;

  if (page == NULL)
    return;

  event = g_new0 (Event, 1);
  event->page = page;
  event->generation = observer->generation;
  event->kind = line_event->kind;
  event->port = g_strdup (line_event->port);
  event->imei = g_strdup (line_event->imei);
  event->message = line_event->message != NULL ? ts_message_advice (line_event->message) : NULL;
  event->passed = line_event->passed;
  event->failed = line_event->failed;
  event->in_flight = line_event->in_flight;

  /* Not g_main_context_invoke(): under GApplication's loop it may acquire the
   * context between two iterations and run the callback on this thread. */
  g_idle_add_full (G_PRIORITY_DEFAULT, deliver_event, event, event_free);
}

/* Starting and stopping ------------------------------------------------------------ */

static void
start_failed (TsProductionPage *self,
              GError           *error)
{
  self->starting = FALSE;
  g_clear_object (&self->line_cancellable);
  if (gtk_widget_get_root (GTK_WIDGET (self)) == NULL)
    return;
  if (error != NULL)
    show_error (self, error);
  update_actions (self);
}

/* The page and the line a run reports to. */
typedef struct
{
  TsProductionPage *page;
  TsLine           *line;
  GApplication     *application;  /* held while the line runs; nullable */
} LineRun;

static void
line_run_free (LineRun *run)
{
  g_object_unref (run->page);
  g_object_unref (run->line);
  g_clear_object (&run->application);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LineRun, line_run_free)

static void
line_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(LineRun) run = user_data;
  TsProductionPage *self = run->page;
  TsLine *line = run->line;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (!ts_line_run_finish (line, result, &error))
    show_error (self, error);

  /* The modems are back in their previous mode: the application may quit now. */
  if (run->application != NULL)
    g_application_release (run->application);
  g_clear_object (&self->line_cancellable);
  self->running = FALSE;
  self->stopping = FALSE;

  if (line != self->line || gtk_widget_get_root (GTK_WIDGET (self)) == NULL)
    return;

  ts_workspace_changed (self->workspace);
  set_counters (self, ts_line_get_passed (line), ts_line_get_failed (line), 0);
  text = g_strdup_printf (_("Lot %s stopped: %u passed, %u failed. The report is in %s."),
                          ts_line_get_lot (line), ts_line_get_passed (line),
                          ts_line_get_failed (line), ts_line_get_csv_path (line));
  gtk_label_set_text (self->status_label, text);
  update_actions (self);
}

typedef struct
{
  TsWorkspace        *workspace;
  TsProvisionRequest *request;
  char               *lot;
} OpenData;

static void
open_data_free (gpointer pointer)
{
  OpenData *data = pointer;

  g_clear_object (&data->workspace);
  g_clear_pointer (&data->request, ts_provision_request_free);
  g_free (data->lot);
  g_free (data);
}

static char *
reports_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "tagsmith", "lots", NULL);
}

/* Reports live in the user's data folder, one pair of files per lot; the same
 * lot again resumes its report, like `tagsmith line --lot`. */
static gpointer
open_line_job (TsWorkspace   *workspace,
               gpointer       data,
               GCancellable  *cancellable,
               GError       **error)
{
  OpenData *open = data;
  g_autofree char *dir = reports_dir ();
  g_autofree char *safe = g_strdelimit (g_strdup (open->lot), G_DIR_SEPARATOR_S, '_');
  g_autofree char *name = g_strdup_printf ("lot-%s", safe);
  g_autofree char *path = g_build_filename (dir, name, NULL);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not create the folder for lot reports, %s: %s. Check its "
                     "permissions and the free space."), dir, g_strerror (errsv));
      return NULL;
    }

  return ts_line_new (open->workspace, open->request, open->lot, path, error);
}

static void
line_opened_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TsProductionPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TsLine) line = NULL;
  Observer *observer;
  GtkRoot *root;
  LineRun *run;

  line = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  if (line == NULL)
    {
      start_failed (self, error);
      return;
    }
  if (g_cancellable_is_cancelled (self->line_cancellable))
    {
      start_failed (self, NULL);
      return;
    }

  self->generation++;
  observer = g_new0 (Observer, 1);
  g_weak_ref_init (&observer->page, self);
  observer->generation = self->generation;
  ts_line_set_observer (line, line_observer, observer, observer_free);

  g_set_object (&self->line, line);
  g_hash_table_remove_all (self->rows_in_flight);
  clear_rows (self);
  self->in_flight = 0;
  self->starting = FALSE;
  self->running = TRUE;

  set_verdict (self, VERDICT_WAITING, NULL, _("Plug in the next kit"));
  set_counters (self, ts_line_get_passed (line), ts_line_get_failed (line), 0);
  set_status (self, 0);
  update_actions (self);
  gtk_stack_set_visible_child_name (self->stack, "running");
  gtk_widget_grab_focus (self->stop_button);

  /* Closing the window cancels the line; the application stays until its
   * units have put their modems back. */
  run = g_new0 (LineRun, 1);
  root = gtk_widget_get_root (GTK_WIDGET (self));
  if (GTK_IS_WINDOW (root) && gtk_window_get_application (GTK_WINDOW (root)) != NULL)
    {
      run->application = G_APPLICATION (g_object_ref (gtk_window_get_application (GTK_WINDOW (root))));
      g_application_hold (run->application);
    }
  run->page = g_object_ref (self);
  run->line = g_object_ref (line);
  ts_line_run_async (line, self->line_cancellable, line_done_cb, run);
}

static void
form_built_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TsProductionPage) self = user_data;
  g_autoptr(GError) error = NULL;
  TsProvisionRequest *request;
  OpenData *data;

  request = ts_provision_form_build_finish (self->form, result, &error);
  if (request == NULL)
    {
      start_failed (self, error);
      return;
    }

  data = g_new0 (OpenData, 1);
  data->workspace = g_object_ref (self->workspace);
  data->request = request;
  if (request->lot != NULL)
    data->lot = g_strdup (request->lot);
  else
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

      /* The CLI's default lot too: a bench that runs a lot a day needs no name. */
      data->lot = g_date_time_format (now, "%Y-%m-%d");
    }

  ts_workspace_run_async (self->workspace, open_line_job, data, open_data_free, g_object_unref,
                          self->line_cancellable, line_opened_cb, g_object_ref (self));
}

static void
unlocked_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(TsProductionPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!ts_unlock_finish (result, &error))
    {
      start_failed (self, error);
      return;
    }

  ts_provision_form_build_async (self->form, self->workspace, self->line_cancellable, form_built_cb,
                                 g_object_ref (self));
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  TsProductionPage *self = TS_PRODUCTION_PAGE (widget);

  if (self->starting || self->running)
    return;

  if (!ts_workspace_is_open (self->workspace))
    {
      show_toast (self, _("The ledger is not open, so nothing can be signed. The message at "
                          "the top of the window says why."));
      return;
    }

  self->starting = TRUE;
  self->line_cancellable = g_cancellable_new ();
  update_actions (self);
  ts_unlock_async (self->workspace, widget, self->line_cancellable, unlocked_cb,
                   g_object_ref (self));
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  TsProductionPage *self = TS_PRODUCTION_PAGE (widget);

  if (!self->running || self->stopping)
    return;

  self->stopping = TRUE;
  ts_line_stop (self->line);
  set_status (self, self->in_flight);
  update_actions (self);
}

static void
new_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *param)
{
  TsProductionPage *self = TS_PRODUCTION_PAGE (widget);

  gtk_stack_set_visible_child_name (self->stack, "setup");
}

/* Cancels a line that is starting or running: its units are interrupted and
 * their modems put back in their previous mode (see ts_line_run()). */
static void
ts_production_page_cancel (TsProductionPage *self)
{
  g_cancellable_cancel (self->cancellable);
  if (self->line_cancellable != NULL)
    g_cancellable_cancel (self->line_cancellable);
}

/* The report --------------------------------------------------------------------- */

static void
export_copied_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TsProductionPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_copy_finish (G_FILE (object), result, &error))
    {
      g_autoptr(GError) advice = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      advice = g_error_new (error->domain, error->code,
                            _("Could not export the report: %s. Choose another folder."),
                            error->message);
      show_error (self, advice);
      return;
    }

  show_toast (self, _("Report exported"));
}

static void
export_response_cb (GtkNativeDialog *dialog,
                    int              response,
                    gpointer         user_data)
{
  g_autoptr(TsProductionPage) self = user_data;

  if (response == GTK_RESPONSE_ACCEPT && self->line != NULL)
    {
      g_autoptr(GFile) target = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      const char *format = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (dialog), "format");
      g_autoptr(GFile) source = NULL;

      source = g_file_new_for_path (g_strcmp0 (format, "json") == 0
                                    ? ts_line_get_json_path (self->line)
                                    : ts_line_get_csv_path (self->line));
      g_file_copy_async (source, target, G_FILE_COPY_OVERWRITE, G_PRIORITY_DEFAULT,
                         self->cancellable, NULL, NULL, export_copied_cb, g_object_ref (self));
    }

  g_object_unref (dialog);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  TsProductionPage *self = TS_PRODUCTION_PAGE (widget);
  const char *ids[] = { "csv", "json", NULL };
  const char *labels[] = { _("CSV, for people and spreadsheets"), _("JSON, for programs"), NULL };
  g_autofree char *name = NULL;
  GtkFileChooserNative *dialog;

  if (self->line == NULL)
    return;

  if (!g_file_test (ts_line_get_csv_path (self->line), G_FILE_TEST_EXISTS))
    {
      show_toast (self, _("The report is written after the first unit. Plug in a kit first."));
      return;
    }

  dialog = gtk_file_chooser_native_new (_("Export Report"),
                                        GTK_WINDOW (gtk_widget_get_root (widget)),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"),
                                        _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  name = g_path_get_basename (ts_line_get_csv_path (self->line));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (dialog), "format", _("Format"), ids, labels);
  gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (dialog), "format", "csv");

  g_signal_connect (dialog, "response", G_CALLBACK (export_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
folder_opened_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TsProductionPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *dir = reports_dir ();
      g_autofree char *text = g_strdup_printf (_("No file manager could open the report folder "
                                                 "(%s). The reports are in %s."),
                                               error->message, dir);

      show_toast (self, text);
    }
}

static void
open_folder_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  TsProductionPage *self = TS_PRODUCTION_PAGE (widget);
  g_autoptr(GdkAppLaunchContext) context = NULL;
  g_autoptr(GFile) folder = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *uri = NULL;

  if (self->line == NULL)
    return;

  dir = g_path_get_dirname (ts_line_get_csv_path (self->line));
  folder = g_file_new_for_path (dir);
  uri = g_file_get_uri (folder);
  context = gdk_display_get_app_launch_context (gtk_widget_get_display (widget));
  g_app_info_launch_default_for_uri_async (uri, G_APP_LAUNCH_CONTEXT (context),
                                           self->cancellable, folder_opened_cb,
                                           g_object_ref (self));
}

/* The lot's evidence dossier, for this lot or any earlier one. */
static void
dossier_written_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TsProductionPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ts_dossier_flow_finish (result, &error);
  g_autofree char *shown_path = NULL;
  g_autofree char *text = NULL;

  if (path == NULL)
    {
      show_error (self, error);
      return;
    }

  shown_path = ts_format_path (path);
  text = g_strdup_printf (_("Dossier written to %s"), shown_path);
  show_toast (self, text);
}

static void
dossier_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  TsProductionPage *self = TS_PRODUCTION_PAGE (widget);
  g_autofree char *dir = reports_dir ();

  if (!ts_workspace_is_open (self->workspace))
    {
      show_toast (self, _("The ledger is not open. The message at the top of the window says why."));
      return;
    }

  ts_dossier_flow_async (self->workspace, widget, self->line != NULL ? ts_line_get_lot (self->line) : NULL, dir,
                         self->cancellable, dossier_written_cb, g_object_ref (self));
}

/* Authorities for the form -------------------------------------------------------- */

/* Which station this bench runs as (Preferences chooses it): its CA is the
 * form's first choice, and a station that cannot act is said once. */
static void
show_station (TsProductionPage *self,
              GPtrArray        *stations)
{
  g_autofree char *wanted = g_settings_get_string (self->settings, "station");
  g_autofree char *advice = ts_station_advice (stations, wanted);
  g_autofree char *text = ts_station_describe (stations, wanted);

  gtk_label_set_text (self->station_label, text);
  ts_provision_form_prefer_authority (self->form, ts_station_authority (stations, wanted));
  if (advice != NULL && g_strcmp0 (advice, self->station_advice) != 0)
    ts_show_message (GTK_WIDGET (self), advice);
  g_free (self->station_advice);
  self->station_advice = g_steal_pointer (&advice);
}

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(TsProductionPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TsAuthorityLists) lists = NULL;

  lists = ts_workspace_run_finish (TS_WORKSPACE (object), result, &error);
  if (lists == NULL)
    {
      show_error (self, error);
      return;
    }

  ts_provision_form_set_authorities (self->form, lists->authorities);
  show_station (self, lists->stations);
}

static void
ts_production_page_reload (TsProductionPage *self)
{
  if (self->workspace == NULL || !ts_workspace_is_open (self->workspace))
    return;

  ts_workspace_run_async (self->workspace, ts_authority_lists_job, NULL, NULL,
                          (GDestroyNotify) ts_authority_lists_free, self->cancellable, list_cb,
                          g_object_ref (self));
}

static void
form_ready_cb (TsProductionPage *self)
{
  update_actions (self);
}

/* GObject ------------------------------------------------------------------------- */

static void
ts_production_page_unroot (GtkWidget *widget)
{
  /* The window is closing. */
  ts_production_page_cancel (TS_PRODUCTION_PAGE (widget));

  GTK_WIDGET_CLASS (ts_production_page_parent_class)->unroot (widget);
}

static void
ts_production_page_dispose (GObject *object)
{
  TsProductionPage *self = TS_PRODUCTION_PAGE (object);

  ts_production_page_cancel (self);
  gtk_widget_dispose_template (GTK_WIDGET (object), TS_TYPE_PRODUCTION_PAGE);

  G_OBJECT_CLASS (ts_production_page_parent_class)->dispose (object);
}

static void
ts_production_page_finalize (GObject *object)
{
  TsProductionPage *self = TS_PRODUCTION_PAGE (object);

  g_clear_object (&self->form);
  g_clear_object (&self->settings);
  g_free (self->station_advice);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->workspace);
  g_clear_object (&self->line_cancellable);
  g_clear_object (&self->line);
  g_clear_pointer (&self->rows_in_flight, g_hash_table_unref);

  G_OBJECT_CLASS (ts_production_page_parent_class)->finalize (object);
}

static void
ts_production_page_class_init (TsProductionPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ts_production_page_dispose;
  object_class->finalize = ts_production_page_finalize;
  widget_class->unroot = ts_production_page_unroot;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE "/ts-production-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TsProductionPage, form_bin);
  gtk_widget_class_bind_template_child (widget_class, TsProductionPage, station_label);
  gtk_widget_class_bind_template_child (widget_class, TsProductionPage, verdict_box);
  gtk_widget_class_bind_template_child (widget_class, TsProductionPage, verdict_label);
  gtk_widget_class_bind_template_child (widget_class, TsProductionPage, imei_label);
  gtk_widget_class_bind_template_child (widget_class, TsProductionPage, reason_label);
  gtk_widget_class_bind_template_child (widget_class, TsProductionPage, passed_label);
  gtk_widget_class_bind_template_child (widget_class, TsProductionPage, failed_label);
  gtk_widget_class_bind_template_child (widget_class, TsProductionPage, in_flight_label);
  gtk_widget_class_bind_template_child (widget_class, TsProductionPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, TsProductionPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, TsProductionPage, counters);
  gtk_widget_class_bind_template_child (widget_class, TsProductionPage, actions_box);
  gtk_widget_class_bind_template_child (widget_class, TsProductionPage, stop_button);
  gtk_widget_class_bind_template_child (widget_class, TsProductionPage, new_button);
  gtk_widget_class_bind_template_child (widget_class, TsProductionPage, units_list);

  gtk_widget_class_install_action (widget_class, "production.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "production.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "production.new", NULL, new_action);
  gtk_widget_class_install_action (widget_class, "production.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "production.open-folder", NULL,
                                   open_folder_action);
  gtk_widget_class_install_action (widget_class, "production.dossier", NULL, dossier_action);
}

static void
unfocus_cells (GtkFlowBox *box)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (box));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    gtk_widget_set_focusable (child, FALSE);
}

static void
ts_production_page_init (TsProductionPage *self)
{
  GtkWidget *placeholder;

  gtk_widget_init_template (GTK_WIDGET (self));
  /* The bin's child: not a bound template child, or the template's dispose and
   * AdwBin's would both unparent it. */
  self->stack = GTK_STACK (adw_bin_get_child (ADW_BIN (self)));

  self->cancellable = g_cancellable_new ();
  self->rows_in_flight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  self->settings = g_settings_new (APP_ID);
  g_signal_connect_object (self->settings, "changed::station", G_CALLBACK (ts_production_page_reload), self,
                           G_CONNECT_SWAPPED);
  self->form = g_object_ref_sink (ts_provision_form_new (TS_PROVISION_FORM_PRODUCTION));
  adw_bin_set_child (self->form_bin, GTK_WIDGET (self->form));
  g_signal_connect_object (self->form, "notify::ready", G_CALLBACK (form_ready_cb), self,
                           G_CONNECT_SWAPPED);

  placeholder = gtk_label_new (_("No unit yet. Plug in a kit: it is provisioned as soon as it "
                                 "answers."));
  gtk_label_set_wrap (GTK_LABEL (placeholder), TRUE);
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_widget_set_margin_top (placeholder, 18);
  gtk_widget_set_margin_bottom (placeholder, 18);
  gtk_widget_set_margin_start (placeholder, 12);
  gtk_widget_set_margin_end (placeholder, 12);
  gtk_list_box_set_placeholder (self->units_list, placeholder);

  /* The flow boxes only wrap on narrow windows: Tab goes to the buttons, not their cells. */
  unfocus_cells (self->counters);
  unfocus_cells (self->actions_box);

  ts_accessible_fixup (GTK_WIDGET (self));
  update_actions (self);
}

/* Pages show what the workspace holds, and reload when it opens or changes. */
void
ts_production_page_set_workspace (TsProductionPage *self,
                                  TsWorkspace      *workspace)
{
  g_return_if_fail (TS_IS_PRODUCTION_PAGE (self));
  g_return_if_fail (TS_IS_WORKSPACE (workspace));

  if (self->workspace != NULL)
    g_signal_handlers_disconnect_by_data (self->workspace, self);
  g_set_object (&self->workspace, workspace);
  g_signal_connect_object (workspace, "changed",
                           G_CALLBACK (ts_production_page_reload), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (workspace, "notify::state",
                           G_CALLBACK (ts_production_page_reload), self, G_CONNECT_SWAPPED);
  ts_production_page_reload (self);
}
