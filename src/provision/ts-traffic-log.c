/* ts-traffic-log.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-traffic-log"

#include "config.h"

#include <glib/gi18n.h>

#include "ts-traffic-log.h"

struct _TsTrafficLog
{
  gatomicrefcount  ref_count;
  GMutex           lock;
  GQueue           lines;     /* (element-type utf8) oldest first */
  guint            max_lines;
  gboolean         unread;    /* lines were added since the text was last taken */
};

TsTrafficLog *
ts_traffic_log_new (guint max_lines)
{
  TsTrafficLog *self = g_new0 (TsTrafficLog, 1);

  g_return_val_if_fail (max_lines > 0, NULL);

  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->lock);
  g_queue_init (&self->lines);
  self->max_lines = max_lines;

  return self;
}

TsTrafficLog *
ts_traffic_log_ref (TsTrafficLog *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
ts_traffic_log_unref (TsTrafficLog *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_queue_clear_full (&self->lines, g_free);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static void
push_line (TsTrafficLog    *self,
           GDateTime  *now,
           const char *arrow,
           const char *text)
{
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S.%f");

  /* Milliseconds are enough to follow a session; %f gives microseconds. */
  stamp[12] = '\0';
  g_queue_push_tail (&self->lines, g_strdup_printf ("%s %s %s", stamp, arrow, text));
  while (self->lines.length > self->max_lines)
    g_free (g_queue_pop_head (&self->lines));
}

gboolean
ts_traffic_log_add (TsTrafficLog            *self,
               const TsModemEvent *event)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GMutexLocker) locker = NULL;
  gboolean first;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (event != NULL, FALSE);

  locker = g_mutex_locker_new (&self->lock);
  if (event->kind == TS_MODEM_EVENT_UNSOLICITED)
    push_line (self, now, "←", event->label);
  else
    {
      push_line (self, now, "→", event->label);
      for (guint i = 0; event->answer != NULL && event->answer[i] != NULL; i++)
        push_line (self, now, "←", event->answer[i]);
      /* A timeout or a lost port has no final line: say what happened instead. */
      if (event->error != NULL &&
          (event->answer == NULL || event->answer[0] == NULL ||
           !g_strv_contains ((const char * const *) event->answer, "OK")))
        push_line (self, now, "✗", event->error->message);
    }

  first = !self->unread;
  self->unread = TRUE;
  return first;
}

void
ts_traffic_log_observe (TsModem            *modem,
                   const TsModemEvent *event,
                   gpointer            log)
{
  ts_traffic_log_add (log, event);
}

char *
ts_traffic_log_dup_text (TsTrafficLog *self)
{
  g_autoptr(GMutexLocker) locker = NULL;
  GString *text = g_string_new (NULL);

  g_return_val_if_fail (self != NULL, NULL);

  locker = g_mutex_locker_new (&self->lock);
  for (GList *l = self->lines.head; l != NULL; l = l->next)
    {
      g_string_append (text, l->data);
      g_string_append_c (text, '\n');
    }
  self->unread = FALSE;

  return g_string_free (text, FALSE);
}

guint
ts_traffic_log_get_n_lines (TsTrafficLog *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (self != NULL, 0);

  locker = g_mutex_locker_new (&self->lock);
  return self->lines.length;
}

void
ts_traffic_log_clear (TsTrafficLog *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_if_fail (self != NULL);

  locker = g_mutex_locker_new (&self->lock);
  g_queue_clear_full (&self->lines, g_free);
  self->unread = FALSE;
}
