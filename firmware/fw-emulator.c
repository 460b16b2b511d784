/* fw-emulator.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fw-emulator"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fw-emulator.h"
#include "fw-pty.h"
#include "fw-registry.h"

#define READ_CHUNK         64
#define WRITE_CHUNK        16
#define WRITE_STALL_MSEC   200   /* nobody reads the port: the bytes are lost on the wire */

typedef struct
{
  const FwOptions *options;
  FwModem         *modem;
  FwBridge        *bridge;
  FwPty            pty;
  GMainLoop       *loop;
  GRand           *rand;
  gint64           byte_ns;          /* 0 without pacing */
  gint64           rx_ready_ns;      /* when the last read byte has fully arrived */
  gsize            command_bytes;    /* received since the last dispatch */
  guint64          total_bytes;      /* received since start */
  guint            commands;         /* answered since boot */
  gboolean         first_pending;    /* the first-command ERROR is still due */
  gint64           last_activity_us;
  gboolean         idle_done;        /* idle URCs already sent for this quiet spell */
  guint            timer;
  int              exit_status;
} FwEmulator;

static void schedule_timer (FwEmulator *self);

static gint64
now_ns (void)
{
  return g_get_monotonic_time () * 1000;
}

static void
sleep_until_ns (gint64 deadline)
{
  gint64 left = deadline - now_ns ();

  if (left > 0)
    g_usleep (left / 1000);
}

static void
log_traffic (FwEmulator *self,
             const char *direction,
             const char *data,
             gsize       len)
{
  g_autofree char *copy = NULL;
  g_autofree char *escaped = NULL;

  if (!self->options->verbose || len == 0)
    return;
  copy = g_strndup (data, len);
  escaped = g_strescape (copy, NULL);
  g_printerr ("%s %s\n", direction, escaped);
}

/* Raw write with the line's pace; bytes nobody takes are dropped like on a real UART. */
static void
send_bytes (FwEmulator *self,
            const char *data,
            gsize       len)
{
  gint64 start = now_ns ();
  gsize sent = 0;

  log_traffic (self, "->", data, len);
  while (sent < len)
    {
      gsize n = self->byte_ns ? MIN (WRITE_CHUNK, len - sent) : len - sent;
      ssize_t w = write (self->pty.master, data + sent, n);

      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0 && errno == EAGAIN)
        {
          struct pollfd pfd = { .fd = self->pty.master, .events = POLLOUT };

          if (poll (&pfd, 1, WRITE_STALL_MSEC) <= 0)
            return;
          continue;
        }
      if (w < 0)
        return;
      sent += w;
      if (self->byte_ns)
        sleep_until_ns (start + (gint64) sent * self->byte_ns);
    }
}

static void
send_string (FwEmulator *self,
             const char *text)
{
  send_bytes (self, text, strlen (text));
}

/* Bytes that arrived while the command ran are lost, except one stray byte (§2.1 item 7,
 * §15.3). Returns that byte, or -1. */
static int
drain_input (FwEmulator *self)
{
  guint8 buf[256];
  int first = -1;
  ssize_t n;

  while ((n = read (self->pty.master, buf, sizeof buf)) > 0)
    {
      if (first < 0)
        first = buf[0];
      log_traffic (self, "<- (lost while busy)", (const char *) buf, n);
    }
  return first;
}

static void
send_banner (FwEmulator *self)
{
  g_autoptr(GString) banner = g_string_new (NULL);

  if (self->options->banner)
    {
      g_string_append_printf (banner, "*** Booting nRF Connect SDK %s ***\r\n",
                              self->options->modem.profile->sdk_version);
      if (fw_bridge_is_shell (self->bridge))
        g_string_append (banner, "\r\n");
      else
        g_string_append (banner, "The AT host sample started\r\nReady\r\n");
    }
  fw_bridge_prompt (self->bridge, banner);
  send_string (self, banner->str);
}

static void
boot (FwEmulator *self)
{
  fw_modem_boot (self->modem);
  fw_bridge_reset (self->bridge);
  self->commands = 0;
  self->command_bytes = 0;
  self->first_pending = self->options->first_command_error;
  send_banner (self);
}

/* Bytes an earlier program left behind (a cut write leaves the bridge inside a quote). */
static void
feed_stale_input (FwEmulator *self)
{
  g_autoptr(GString) echo = g_string_new (NULL);
  const GByteArray *stale = self->options->stale_input;

  for (guint i = 0; stale != NULL && i < stale->len; i++)
    g_free (fw_bridge_feed (self->bridge, stale->data[i], echo));
}

static void
send_due_urcs (FwEmulator *self)
{
  char *line;

  while ((line = fw_modem_pop_urc (self->modem, g_get_monotonic_time ())) != NULL)
    {
      g_autofree char *text = g_strconcat (line, "\r\n", NULL);

      send_string (self, text);
      g_free (line);
    }
}

static gboolean
final_dropped (FwEmulator *self,
               const char *command)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (command));
  g_autofree char *upper = g_ascii_strup (trimmed, -1);

  for (guint i = 0; i < self->options->drop_final->len; i++)
    if (g_str_has_prefix (upper, g_ptr_array_index (self->options->drop_final, i)))
      return TRUE;
  return FALSE;
}

/* Line noise: printable garbage, never a quote, never mistakable for a result code. */
static void
maybe_send_noise (FwEmulator *self)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .:;<>[]#*~!?=_-";
  g_autoptr(GString) line = NULL;
  int len;

  if (self->options->noise_rate <= 0.0 || g_rand_double (self->rand) >= self->options->noise_rate)
    return;
  len = g_rand_int_range (self->rand, 8, 41);
  line = g_string_new ("~");
  for (int i = 1; i < len; i++)
    g_string_append_c (line, alphabet[g_rand_int_range (self->rand, 0, sizeof alphabet - 1)]);
  g_string_append (line, "\r\n");
  send_string (self, line->str);
}

/* Runs one command; returns the stray byte that survived the busy time, or -1. */
static int
run_command (FwEmulator *self,
             const char *command)
{
  gboolean line_mode = !fw_bridge_is_shell (self->bridge);
  g_autoptr(GString) out = g_string_new (NULL);
  FwReply reply = { 0 };
  guint busy_ms;
  int stray = -1;

  log_traffic (self, "<-", command, strlen (command));
  if (self->first_pending)
    {
      /* Some line-mode kits reject the first command after power-up (§11). */
      self->first_pending = FALSE;
      reply.lines = g_string_new (NULL);
      reply.final = g_strdup ("ERROR");
    }
  else
    fw_modem_execute (self->modem, command, &reply);

  busy_ms = (self->options->pacing ? reply.busy_ms : 0) + self->options->delay_ms;
  if (busy_ms > 0)
    g_usleep ((gulong) busy_ms * 1000);
  if (line_mode)
    stray = drain_input (self);

  g_string_append_len (out, reply.lines->str, reply.lines->len);
  if (!final_dropped (self, command))
    g_string_append_printf (out, "%s\r\n", reply.final);
  fw_bridge_wrap_reply (self->bridge, out);
  send_bytes (self, out->str, out->len);
  fw_reply_clear (&reply);

  maybe_send_noise (self);
  send_due_urcs (self);

  self->commands++;
  if (self->options->reboot_after > 0 && self->commands == self->options->reboot_after)
    {
      /* Once per run: a reboot in the middle of a session. */
      ((FwOptions *) self->options)->reboot_after = 0;
      boot (self);
      stray = -1;
    }
  return stray;
}

static void
hang_up (FwEmulator *self)
{
  g_printerr ("tagsmith-emulator: hanging up after %zu bytes of a command (fault)\n",
              self->command_bytes);
  fw_pty_close (&self->pty);
  g_main_loop_quit (self->loop);
}

/* Returns FALSE once the port is gone. */
static gboolean
process_bytes (FwEmulator   *self,
               const guint8 *data,
               gsize         len)
{
  g_autoptr(GString) echo = g_string_new (NULL);

  for (gsize i = 0; i < len; i++)
    {
      g_autofree char *command = NULL;

      self->command_bytes++;
      if (++self->total_bytes == self->options->reboot_at_byte)
        {
          /* The UART restarts with the kit: what it was receiving is lost. */
          log_traffic (self, "<- (lost in the reset)", (const char *) data + i, len - i);
          boot (self);
          return TRUE;
        }
      if (self->options->hangup_after > 0 && self->command_bytes >= self->options->hangup_after)
        {
          hang_up (self);
          return FALSE;
        }
      command = fw_bridge_feed (self->bridge, data[i], echo);
      if (echo->len > 0)
        {
          send_bytes (self, echo->str, echo->len);
          g_string_truncate (echo, 0);
        }
      if (command == NULL)
        continue;

      self->command_bytes = 0;
      if (fw_bridge_is_shell (self->bridge))
        run_command (self, command);
      else
        {
          int stray = i + 1 < len ? data[i + 1] : -1;
          int drained = run_command (self, command);
          guint8 byte;

          if (stray < 0)
            stray = drained;
          if (stray >= 0)
            {
              byte = stray;
              self->command_bytes = 1;
              g_free (fw_bridge_feed (self->bridge, byte, echo));
            }
          return TRUE;
        }
    }
  return TRUE;
}

static gboolean
on_readable (int          fd,
             GIOCondition condition,
             gpointer     user_data)
{
  FwEmulator *self = user_data;
  guint8 buf[READ_CHUNK];
  ssize_t n = read (fd, buf, sizeof buf);

  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      g_printerr ("tagsmith-emulator: the pseudo-terminal failed: %s\n",
                  n < 0 ? g_strerror (errno) : "end of file");
      self->exit_status = 1;
      g_main_loop_quit (self->loop);
      return G_SOURCE_REMOVE;
    }
  if (self->byte_ns)
    {
      /* The bytes are usable only once the line could have carried them. */
      self->rx_ready_ns = MAX (self->rx_ready_ns, now_ns ()) + n * self->byte_ns;
      sleep_until_ns (self->rx_ready_ns);
    }
  log_traffic (self, "<< ", (const char *) buf, n);
  if (!process_bytes (self, buf, n))
    return G_SOURCE_REMOVE;
  self->last_activity_us = g_get_monotonic_time ();
  self->idle_done = FALSE;
  schedule_timer (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_timer (gpointer user_data)
{
  FwEmulator *self = user_data;
  guint idle_ms = self->options->idle_urc_ms;

  self->timer = 0;
  if (idle_ms > 0 && !self->idle_done
      && g_get_monotonic_time () - self->last_activity_us >= (gint64) idle_ms * 1000)
    {
      fw_modem_idle (self->modem, idle_ms);
      self->idle_done = TRUE;
    }
  send_due_urcs (self);
  schedule_timer (self);
  return G_SOURCE_REMOVE;
}

/* Wakes for the next queued URC or the end of the current quiet spell. */
static void
schedule_timer (FwEmulator *self)
{
  gint64 next = fw_modem_next_urc_us (self->modem);
  gint64 now = g_get_monotonic_time ();
  guint idle_ms = self->options->idle_urc_ms;

  if (self->pty.master < 0)
    return;
  if (idle_ms > 0 && !self->idle_done)
    {
      gint64 idle_at = self->last_activity_us + (gint64) idle_ms * 1000;

      next = next < 0 ? idle_at : MIN (next, idle_at);
    }
  g_clear_handle_id (&self->timer, g_source_remove);
  if (next >= 0)
    self->timer = g_timeout_add (MAX (next - now, 0) / 1000 + 1, on_timer, self);
}

static gboolean
on_search_timer (gpointer user_data)
{
  FwEmulator *self = user_data;

  fw_modem_searching (self->modem);
  send_due_urcs (self);
  schedule_timer (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_signal (gpointer user_data)
{
  FwEmulator *self = user_data;

  g_main_loop_quit (self->loop);
  return G_SOURCE_CONTINUE;
}

int
fw_emulator_run (const FwOptions *options)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *registration = NULL;
  FwEmulator self = { .options = options, .pty = { .master = -1, .slave = -1 } };
  FwDevice *device;
  guint watch, sigterm, sigint, sighup, search = 0;

  device = fw_device_open (options->state_path, options->modem.profile, options->imei, &error);
  if (device == NULL)
    {
      g_printerr ("tagsmith-emulator: %s\n", error->message);
      return 1;
    }
  self.modem = fw_modem_new (&options->modem, device);
  self.bridge = options->shell
                ? fw_bridge_new_shell (options->prompt, options->unescape_lf, options->buffer_size)
                : fw_bridge_new_line (options->termination, options->buffer_size);
  self.rand = g_rand_new_with_seed (options->seed);
  self.byte_ns = options->pacing ? (gint64) 10 * G_GINT64_CONSTANT (1000000000) / options->baud : 0;

  if (!fw_pty_open (&self.pty, options->link_path, &error)
      || (registration = fw_registry_add (self.pty.path, options->link_path,
                                          options->modem.profile, device->imei, &error)) == NULL)
    {
      g_printerr ("tagsmith-emulator: %s\n", error->message);
      self.exit_status = 1;
      goto out;
    }

  signal (SIGPIPE, SIG_IGN);
  self.loop = g_main_loop_new (NULL, FALSE);
  watch = g_unix_fd_add (self.pty.master, G_IO_IN, on_readable, &self);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, &self);
  sigint = g_unix_signal_add (SIGINT, on_signal, &self);
  sighup = g_unix_signal_add (SIGHUP, on_signal, &self);

  printf ("%s\n", options->link_path ? options->link_path : self.pty.path);
  fflush (stdout);
  if (options->verbose)
    g_printerr ("tagsmith-emulator: %s, IMEI %s, on %s\n", options->modem.profile->name,
                device->imei, self.pty.path);

  self.last_activity_us = g_get_monotonic_time ();
  boot (&self);
  feed_stale_input (&self);
  if (options->search_urc_ms > 0)
    search = g_timeout_add (options->search_urc_ms, on_search_timer, &self);
  schedule_timer (&self);
  g_main_loop_run (self.loop);

  if (self.pty.master >= 0)
    g_source_remove (watch);
  g_source_remove (sigterm);
  g_source_remove (sigint);
  g_source_remove (sighup);
  if (search != 0)
    g_source_remove (search);
  g_clear_handle_id (&self.timer, g_source_remove);
  g_main_loop_unref (self.loop);

out:
  fw_registry_remove (registration);
  fw_pty_close (&self.pty);
  fw_bridge_free (self.bridge);
  fw_modem_free (self.modem);
  g_rand_free (self.rand);
  return self.exit_status;
}
