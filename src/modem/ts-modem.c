/* ts-modem.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-modem"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ts-at-elide.h"
#include "ts-at-reader.h"
#include "ts-modem-private.h"
#include "ts-modem-secret.h"
#include "ts-serial.h"

/* Probes during session start wait this long for an answer (§2.2 uses 2 s; the
 * bridge answers `AT` in milliseconds). */
#define PROBE_TIMEOUT_MS 1000
/* After the opening line terminator, wait this long and drop what came (§11). */
#define SETTLE_MS 200
/* After a timeout, how long to wait for the tail of the late answer. */
#define RECOVER_MS 500
/* DEL erases one stored byte, even inside quotes; this many empty the AT host's
 * whole buffer (§2.1 items 1 and 5, §15.1). */
#define ERASE_BYTES 4096
/* All information lines of one answer together; a credential read is about 4 KiB. */
#define MAX_ANSWER_BYTES (1024 * 1024)
/* CR LF and, with sizeof, the literal's NUL: ends a line on every AT host. */
#define ANY_TERMINATOR "\r\n"

struct _TsModem
{
  GObject          parent_instance;

  GRecMutex        lock;           /* one command (or composite operation) at a time */

  /* Owned references (lock) */
  TsSerial        *serial;         /* (nullable): NULL after ts_modem_close() */
  TsAtReader      *reader;

  TsAtMode         mode;
  TsAtEol          eol;
  guint            timeout_ms;
  gboolean         rebooted;       /* a boot banner arrived: +CMEE is 0 again */
  gint64           owed_until;     /* a cancelled command may still be answered until then */
  guint64          bytes_written;
  guint64          bytes_read;

  TsModemObserver  observer;
  gpointer         observer_data;
  GDestroyNotify   observer_destroy;
};

G_DEFINE_FINAL_TYPE (TsModem, ts_modem, G_TYPE_OBJECT)

static void
ts_modem_finalize (GObject *object)
{
  TsModem *self = TS_MODEM (object);

  g_clear_pointer (&self->serial, ts_serial_free);
  g_clear_pointer (&self->reader, ts_at_reader_free);
  if (self->observer_destroy != NULL)
    self->observer_destroy (self->observer_data);
  g_rec_mutex_clear (&self->lock);

  G_OBJECT_CLASS (ts_modem_parent_class)->finalize (object);
}

static void
ts_modem_class_init (TsModemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ts_modem_finalize;
}

static void
ts_modem_init (TsModem *self)
{
  g_rec_mutex_init (&self->lock);
  self->reader = ts_at_reader_new ();
  self->mode = TS_AT_MODE_LINE;
  self->eol = TS_AT_EOL_CRLF;
  self->timeout_ms = TS_MODEM_TIMEOUT_MS;
}

void
_ts_modem_lock (TsModem *self)
{
  g_rec_mutex_lock (&self->lock);
}

void
_ts_modem_unlock (TsModem *self)
{
  g_rec_mutex_unlock (&self->lock);
}

/* What a final result code looked like, for the answer an observer sees. */
static char *
final_line (TsAtLineKind final,
            int          code)
{
  switch (final)
    {
    case TS_AT_LINE_OK:        return g_strdup ("OK");
    case TS_AT_LINE_ERROR:     return g_strdup ("ERROR");
    case TS_AT_LINE_CME_ERROR: return g_strdup_printf ("+CME ERROR: %d", code);
    case TS_AT_LINE_CMS_ERROR: return g_strdup_printf ("+CMS ERROR: %d", code);
    default:                   return NULL;
    }
}

/* Observers see only elided text (ts-at-elide.h): @label (a command's comes elided
 * already, see _ts_modem_exchange()) and each line of @info. */
static void
notify (TsModem          *self,
        TsModemEventKind  kind,
        const char       *label,
        gint64            duration_us,
        gsize             written,
        gsize             read,
        GPtrArray        *info,
        const char       *final,
        const GError     *error)
{
  g_autofree char *shown = kind == TS_MODEM_EVENT_UNSOLICITED ? ts_at_elide (label) : NULL;
  g_autoptr(GPtrArray) answer = g_ptr_array_new_with_free_func (g_free);
  TsModemEvent event = { kind, shown != NULL ? shown : label, duration_us, written, read, error, NULL };

  if (kind == TS_MODEM_EVENT_UNSOLICITED)
    g_debug ("unsolicited: %s", shown);

  if (self->observer == NULL)
    return;

  if (kind == TS_MODEM_EVENT_COMMAND)
    {
      for (guint i = 0; info != NULL && i < info->len; i++)
        g_ptr_array_add (answer, ts_at_elide (info->pdata[i]));
      if (final != NULL)
        g_ptr_array_add (answer, g_strdup (final));
      g_ptr_array_add (answer, NULL);
      event.answer = (const char **) answer->pdata;
    }
  self->observer (self, &event, self->observer_data);
}

/* The terminator's bytes; for NUL the one that ends the empty literal. */
static const char *
eol_bytes (TsAtEol  eol,
           gsize   *len)
{
  *len = 1;
  switch (eol)
    {
    case TS_AT_EOL_CR:  return "\r";
    case TS_AT_EOL_LF:  return "\n";
    case TS_AT_EOL_NUL: return "";
    default:            *len = 2; return "\r\n";
    }
}

/*
 * One pass over the wire: write @wire, then read and classify lines until a final
 * result code or the deadline. Returns FALSE only on I/O failure (hang-up,
 * cancellation); a timeout leaves @final at TS_AT_LINE_IGNORE.
 */
typedef struct
{
  TsAtLineKind  final;
  int           code;
  GPtrArray    *info;       /* (element-type utf8) */
  gsize         info_bytes;
  guint         n_chatter;  /* lines that answered nothing: URCs, banners, logs */
  guint         n_echo;     /* lines that repeated what we typed: a shell */
  gsize         written;
  gsize         read;
} Transaction;

static void
transaction_clear (Transaction *t)
{
  g_clear_pointer (&t->info, g_ptr_array_unref);
}

static gboolean
handle_line (TsModem          *self,
             const char       *line,
             const TsAtExpect *expect,
             Transaction      *t)
{
  int code = 0;
  TsAtLineKind kind = ts_at_classify_line (line, expect, &code);

  switch (kind)
    {
    case TS_AT_LINE_IGNORE:
      t->n_echo++;
      return FALSE;
    case TS_AT_LINE_INFO:
      t->info_bytes += strlen (line);
      g_ptr_array_add (t->info, g_strdup (line));
      return FALSE;
    case TS_AT_LINE_BOOT:
      /* The modem restarted: its settings are back to defaults (§3.1). */
      self->rebooted = TRUE;
      G_GNUC_FALLTHROUGH;
    case TS_AT_LINE_UNSOLICITED:
      t->n_chatter++;
      notify (self, TS_MODEM_EVENT_UNSOLICITED, line, 0, 0, 0, NULL, NULL, NULL);
      return FALSE;
    default:
      t->final = kind;
      t->code = code;
      return TRUE;
    }
}

static gboolean
transact (TsModem           *self,
          const char        *wire,
          gsize              wire_len,
          const TsAtExpect  *expect,
          guint              timeout_ms,
          Transaction       *t,
          GCancellable      *cancellable,
          GError           **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  guint8 buffer[512];

  memset (t, 0, sizeof *t);
  t->final = TS_AT_LINE_IGNORE;
  t->info = g_ptr_array_new_with_free_func (g_free);

  if (wire_len > 0)
    {
      if (!ts_serial_write_all (self->serial, (const guint8 *) wire, wire_len, deadline,
                                cancellable, error))
        return FALSE;
      t->written = wire_len;
      self->bytes_written += wire_len;
    }

  for (;;)
    {
      gssize n = ts_serial_read (self->serial, buffer, sizeof buffer, deadline, cancellable, error);

      if (n < 0)
        return FALSE;
      if (n == 0)
        return TRUE;

      t->read += n;
      self->bytes_read += n;
      ts_at_reader_feed (self->reader, buffer, n, lines);
      if (ts_at_reader_take_overflow (self->reader) || t->info_bytes > MAX_ANSWER_BYTES)
        {
          g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_PROTOCOL,
                       _("The device on %s sent more than %u KiB without ending its answer. "
                         "It is not an nRF91 AT interface, or the line is garbled: check the "
                         "port and the baud rate, then try again."),
                       ts_serial_get_path (self->serial),
                       (guint) (t->info_bytes > MAX_ANSWER_BYTES ? MAX_ANSWER_BYTES
                                                                 : TS_AT_READER_MAX_LINE) / 1024);
          return FALSE;
        }

      for (guint i = 0; i < lines->len; i++)
        if (handle_line (self, lines->pdata[i], expect, t))
          {
            /* Anything after the final code in this chunk answers nothing. */
            for (guint j = i + 1; j < lines->len; j++)
              notify (self, TS_MODEM_EVENT_UNSOLICITED, lines->pdata[j], 0, 0, 0, NULL, NULL, NULL);
            return TRUE;
          }
      g_ptr_array_set_size (lines, 0);
    }
}

/* Reads what is waiting (late answers, URCs) and drops a partial line such as a
 * shell prompt, so the next command starts clean (§15.3: never pipeline). */
static gboolean
drain (TsModem       *self,
       guint          wait_ms,
       GCancellable  *cancellable,
       GError       **error)
{
  static const TsAtExpect nothing = { 0 };
  Transaction t;
  gboolean ok;

  ok = transact (self, NULL, 0, &nothing, wait_ms, &t, cancellable, error);
  transaction_clear (&t);
  ts_at_reader_reset (self->reader);

  return ok;
}

/* What the bridge stores for @command (§2.1 item 5): in CRLF mode the CR before
 * the dispatching LF is kept as well. */
gsize
_ts_modem_stored_length (TsModem    *self,
                         const char *command)
{
  return strlen (command) + (self->eol == TS_AT_EOL_CRLF ? 1 : 0);
}

/* Frames @command for the bridge: raw in line mode; `at '<command>'` with LF
 * escaped as backslash-n in shell mode, which the AT shell turns into CR LF (§2.2). */
static GString *
frame_command (TsModem     *self,
               const char  *command,
               GError     **error)
{
  /* Escaping at most doubles the command: sized once, it is never reallocated
   * and so never leaves an unwiped copy of a key behind. */
  GString *wire = g_string_sized_new (2 * strlen (command) + 16);
  gsize eol_len;
  const char *eol = eol_bytes (self->eol, &eol_len);

  if (self->mode == TS_AT_MODE_LINE)
    g_string_append (wire, command);
  else
    {
      g_string_append (wire, "at '");
      for (const char *p = command; *p != '\0'; p++)
        {
          if (*p == '\r')
            continue;
          else if (*p == '\n')
            g_string_append (wire, "\\n");
          else if (*p == '\'')
            g_string_append (wire, "\\'");
          else if (*p == '\\')
            {
              ts_modem_secret_string_free (wire);
              g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT,
                                   _("The command contains a backslash, which a Zephyr shell "
                                     "would reinterpret. Use an AT client firmware instead "
                                     "of the shell."));
              return NULL;
            }
          else
            g_string_append_c (wire, *p);
        }
      g_string_append_c (wire, '\'');
    }

  g_string_append_len (wire, eol, eol_len);

  return wire;
}

static void
set_timeout_error (TsModem     *self,
                   const char  *what,
                   guint        timeout_ms,
                   GError     **error)
{
  g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_TIMEOUT,
               _("%s: the modem did not answer within %u s. Check that %s is the kit's AT "
                 "port (interface 0, not the trace port) and that no other program is using "
                 "it.%s"),
               what, (timeout_ms + 999) / 1000, ts_serial_get_path (self->serial),
               ts_modem_manager_is_running ()
                 ? _(" ModemManager is running and may be talking to the port: add a udev "
                     "rule with ENV{ID_MM_DEVICE_IGNORE}=\"1\" for the kit.")
                 : "");
}

static void
set_final_error (TsModem            *self,
                 const Transaction  *t,
                 const char         *what,
                 const char         *label,
                 GError            **error)
{
  if (t->final == TS_AT_LINE_CME_ERROR)
    ts_set_cme_error (error, t->code, what);
  else if (t->final == TS_AT_LINE_CMS_ERROR)
    g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_AT_ERROR,
                 _("%s: the modem answered +CMS ERROR: %d."), what, t->code);
  else
    g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_AT_ERROR,
                 _("%s: the modem answered ERROR to %s. This firmware may not support the "
                   "command, or the command was garbled on the line."), what, label);
}

/* Sends @wire and waits briefly for a final result code: did the bridge dispatch? */
static TsAtLineKind
send_and_listen (TsModem    *self,
                 const char *wire,
                 gsize       len,
                 guint       wait_ms)
{
  static const TsAtExpect nothing = { 0 };
  Transaction t;
  TsAtLineKind final = TS_AT_LINE_IGNORE;

  if (transact (self, wire, len, &nothing, wait_ms, &t, NULL, NULL))
    final = t.final;
  transaction_clear (&t);
  ts_at_reader_reset (self->reader);
  return final;
}

/* A probe that dispatches; an ERROR means bytes were stored in front of it, so the
 * bridge is probed once more to leave its buffer empty. */
static gboolean
probe_dispatches (TsModem       *self,
                  const GString *probe)
{
  TsAtLineKind final = send_and_listen (self, probe->str, probe->len, PROBE_TIMEOUT_MS);

  if (final != TS_AT_LINE_IGNORE && final != TS_AT_LINE_OK)
    final = send_and_listen (self, probe->str, probe->len, PROBE_TIMEOUT_MS);
  return final != TS_AT_LINE_IGNORE;
}

/*
 * Brings the bridge back to an empty buffer outside quotes, after a quoted write was
 * cut or when an earlier program left it inside quotes (§2.1 items 1, 2, 5; §15.1).
 * @terminator ends each line: the session's, or CR LF NUL, which dispatches on every
 * AT host whatever its termination.
 *
 * A quote toggles the bridge's state, so one is sent only after a probe went
 * unanswered, which is what an open quote looks like, and an answer to it proves
 * it closed one. Without answers, quotes go out in pairs and a silent bridge is
 * left as it was found. DEL first erases whatever is stored, so closing the quote
 * dispatches nothing but the quote itself, never a cut credential, and frees room
 * for the quote in a buffer that overflowed.
 */
static gboolean
settle_bridge (TsModem    *self,
               const char *terminator,
               gsize       terminator_len)
{
  g_autoptr(GString) probe = g_string_new ("AT");
  g_autoptr(GString) unquote = g_string_sized_new (ERASE_BYTES + 8);

  g_string_append_len (probe, terminator, terminator_len);
  for (guint i = 0; i < ERASE_BYTES; i++)
    g_string_append_c (unquote, 0x7f);
  g_string_append_c (unquote, '"');
  g_string_append_len (unquote, terminator, terminator_len);

  for (guint round = 0; round < 2; round++)
    {
      if (probe_dispatches (self, probe))
        return TRUE;
      if (send_and_listen (self, unquote->str, unquote->len, PROBE_TIMEOUT_MS) !=
            TS_AT_LINE_IGNORE && round == 0)
        return probe_dispatches (self, probe);
    }
  return FALSE;
}

/**
 * _ts_modem_exchange:
 * @label: (nullable): @command as shown to observers and in errors; defaults to
 *   ts_at_elide (@command)
 * @what: what a person would call this step, for error messages
 *
 * Sends one command and waits for its final result code.
 *
 * Returns: (transfer full) (element-type utf8): its information lines
 */
GPtrArray *
_ts_modem_exchange (TsModem          *self,
                    const char       *command,
                    const char       *label,
                    const char       *what,
                    guint             timeout_ms,
                    TsExchangeFlags   flags,
                    GCancellable     *cancellable,
                    GError          **error)
{
  g_autoptr(TsModemSecretString) wire = NULL;
  g_autofree char *echo = NULL;
  g_autofree char *prefix = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *final = NULL;
  g_autofree char *elided = NULL;
  TsAtExpect expect;
  Transaction t = { 0 };
  gint64 start;
  GPtrArray *info = NULL;
  gsize eol_len;
  const char *eol = eol_bytes (self->eol, &eol_len);

  if (label == NULL)
    label = elided = ts_at_elide (command);

  if (self->serial == NULL)
    {
      g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_DISCONNECTED,
                           _("The modem connection is closed."));
      return NULL;
    }

  /* A command cancelled after it was sent is still answered; wait for that answer (at most
   * as long as the command could take), so it is not taken for this command's (§15.3). */
  if (self->owed_until > g_get_monotonic_time ())
    {
      gint64 left_ms = (self->owed_until - g_get_monotonic_time ()) / 1000;

      self->owed_until = 0;
      if (!drain (self, (guint) MAX (left_ms, 1), cancellable, error))
        return NULL;
    }
  else if (!drain (self, 0, cancellable, error))
    return NULL;

  if (self->rebooted && g_ascii_strcasecmp (command, "AT+CMEE=1") != 0)
    {
      g_autoptr(GPtrArray) ignored = NULL;

      /* Numeric errors are off again after a restart (§3.1). */
      self->rebooted = FALSE;
      ignored = _ts_modem_exchange (self, "AT+CMEE=1", NULL, _("Enabling numeric errors"),
                                    self->timeout_ms, TS_EXCHANGE_NONE, cancellable, error);
      if (ignored == NULL)
        return NULL;
    }

  if (!(wire = frame_command (self, command, error)))
    return NULL;

  /* Echo, where the bridge has it, repeats what we typed (a shell adds its prompt). */
  ts_at_expect_for_command (command, &expect, &prefix);
  echo = g_strndup (wire->str, wire->len - eol_len);
  expect.echo = echo;

  start = g_get_monotonic_time ();
  if (!transact (self, wire->str, wire->len, &expect, timeout_ms, &t, cancellable, &local_error))
    {
      if (t.written > 0 && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        self->owed_until = start + (gint64) timeout_ms * 1000;
      goto out;
    }

  if (t.final == TS_AT_LINE_OK)
    info = g_steal_pointer (&t.info);
  else if (t.final == TS_AT_LINE_IGNORE)
    {
      set_timeout_error (self, what, timeout_ms, &local_error);

      /* The late answer first: a quote sent while the bridge is still busy could
       * survive as its one stray byte (§15.3). */
      (void) drain (self, RECOVER_MS, NULL, NULL);
      if ((flags & TS_EXCHANGE_QUOTED_WRITE) != 0 && self->mode == TS_AT_MODE_LINE)
        (void) settle_bridge (self, eol, eol_len);
      (void) drain (self, RECOVER_MS, NULL, NULL);
    }
  else
    set_final_error (self, &t, what, label, &local_error);

out:
  if (local_error != NULL && self->rebooted && local_error->domain == TS_MODEM_ERROR &&
      local_error->code == TS_MODEM_ERROR_TIMEOUT)
    {
      g_clear_error (&local_error);
      g_set_error (&local_error, TS_MODEM_ERROR, TS_MODEM_ERROR_TIMEOUT,
                   _("%s: the modem restarted while the command ran. Check its power supply, "
                     "then try again."), what);
    }

  final = final_line (t.final, t.code);
  notify (self, TS_MODEM_EVENT_COMMAND, label, g_get_monotonic_time () - start,
          t.written, t.read, info != NULL ? info : t.info, final, local_error);
  transaction_clear (&t);

  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));

  return info;
}

/* Sends one raw probe and reports what came back, for session start. */
static gboolean
probe (TsModem       *self,
       const char    *wire,
       gsize          len,
       Transaction   *t,
       GCancellable  *cancellable,
       GError       **error)
{
  g_autofree char *echo = g_strndup (wire, strcspn (wire, "\r\n"));
  TsAtExpect expect = { .echo = echo[0] != '\0' ? echo : NULL };
  gboolean ok;

  ok = transact (self, wire, len, &expect, PROBE_TIMEOUT_MS, t, cancellable, error);
  if (ok && t->final == TS_AT_LINE_IGNORE)
    ts_at_reader_reset (self->reader);
  notify (self, TS_MODEM_EVENT_COMMAND, echo[0] != '\0' ? echo : "(line terminator)",
          0, t->written, t->read, t->info, NULL, NULL);

  return ok;
}

static gboolean
answered (const Transaction *t)
{
  return t->final == TS_AT_LINE_OK || t->final == TS_AT_LINE_ERROR ||
         t->final == TS_AT_LINE_CME_ERROR;
}

/*
 * Finds how the bridge frames commands (§2.1 item 3, §2.2, §2.4, §15.4), trying
 * every termination in turn. Each probe is harmless to the other bridges: none
 * holds a quote, a terminator a bridge does not use is stored as whitespace the
 * modem skips, and NUL is ignored outside NUL mode. An ERROR answer means
 * earlier probes were stored in front of this one, so the probe is repeated.
 *  - `AT\r` answered: an AT host in CR mode;
 *  - a lone `\n` (or `AT\r\n`) answered: LF or CR LF; then `AT\n` answered means LF,
 *    silence means CR LF (whose stored `AT\n` the next CR LF flushes);
 *  - `at AT` answered OK: a Zephyr shell, which echoes what is typed;
 *  - `AT\0` answered: an AT host in NUL mode.
 * Boot banners, logs and URCs may arrive at any time and say nothing about the
 * framing; only the echo of a probe does, and a shell skips the line-mode probes.
 */
static gboolean
detect_framing_once (TsModem       *self,
                     gboolean      *found,
                     GCancellable  *cancellable,
                     GError       **error)
{
  Transaction t = { 0 };
  gboolean echoed;

#define PROBE(literal) G_STMT_START { \
    transaction_clear (&t); \
    if (!probe (self, (literal), sizeof (literal) - 1, &t, cancellable, error)) \
      goto fail; \
  } G_STMT_END

  *found = TRUE;
  self->mode = TS_AT_MODE_LINE;

  PROBE ("AT\r");
  if (t.final == TS_AT_LINE_ERROR)
    PROBE ("AT\r");
  if (answered (&t))
    {
      self->eol = TS_AT_EOL_CR;
      goto done;
    }
  echoed = t.n_echo > 0;

  if (!echoed)
    {
      PROBE ("\n");
      if (!answered (&t) || t.final == TS_AT_LINE_ERROR)
        PROBE ("AT\r\n");
      if (t.final == TS_AT_LINE_ERROR)
        PROBE ("AT\r\n");
      if (answered (&t))
        {
          PROBE ("AT\n");
          if (answered (&t))
            self->eol = TS_AT_EOL_LF;
          else
            {
              self->eol = TS_AT_EOL_CRLF;
              PROBE ("\r\n");
            }
          goto done;
        }
      echoed = t.n_echo > 0;
    }

  (void) drain (self, 0, cancellable, NULL);
  PROBE ("at AT\r");
  if (t.final == TS_AT_LINE_OK)
    {
      self->mode = TS_AT_MODE_SHELL;
      self->eol = TS_AT_EOL_CR;
      goto done;
    }

  if (!echoed && t.n_echo == 0)
    {
      PROBE ("AT\0");
      if (t.final == TS_AT_LINE_ERROR)
        PROBE ("AT\0");
      if (answered (&t))
        {
          self->eol = TS_AT_EOL_NUL;
          goto done;
        }
    }

  *found = FALSE;

done:
  transaction_clear (&t);
  return TRUE;

fail:
  transaction_clear (&t);
  return FALSE;
#undef PROBE
}

/* A kit that restarts while it is probed loses the probes sent during its boot:
 * after a banner, the probes run once more. */
static gboolean
detect_framing (TsModem       *self,
                GCancellable  *cancellable,
                GError       **error)
{
  gboolean found = FALSE;

  for (guint attempt = 0; attempt < 2 && !found; attempt++)
    {
      self->rebooted = FALSE;
      if (!detect_framing_once (self, &found, cancellable, error))
        return FALSE;
      if (!self->rebooted)
        break;
    }

  if (!found)
    {
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_NO_ANSWER,
                   _("Nothing on %s answers AT commands. Check that it is the kit's AT port "
                     "(interface 0, not the trace port), that the nRF91 runs an AT client or "
                     "shell firmware (e.g. Nordic's at_client sample), and that nothing else "
                     "uses the port.%s"),
                   ts_serial_get_path (self->serial),
                   ts_modem_manager_is_running ()
                     ? _(" ModemManager is running and may be probing the port: add a udev "
                         "rule with ENV{ID_MM_DEVICE_IGNORE}=\"1\" for the kit.")
                     : "");
      return FALSE;
    }

  g_debug ("%s: %s mode, %s terminator", ts_serial_get_path (self->serial),
           self->mode == TS_AT_MODE_SHELL ? "shell" : "line",
           (const char *[]) { "CR", "LF", "CRLF", "NUL" }[self->eol]);
  return drain (self, 0, cancellable, error);
}

/**
 * ts_modem_start_session:
 *
 * Clears any partial line in the bridge, detects line endings and shell mode,
 * and turns on numeric errors with `AT+CMEE=1` (§3.1, §11).
 */
gboolean
ts_modem_start_session (TsModem       *self,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(GPtrArray) info = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (TS_IS_MODEM (self), FALSE);

  _ts_modem_lock (self);

  if (self->serial == NULL)
    {
      g_set_error_literal (error, TS_MODEM_ERROR, TS_MODEM_ERROR_DISCONNECTED,
                           _("The modem connection is closed."));
      goto out;
    }

  /* One bare terminator flushes a partial command left in the bridge (§1.2). */
  if (!ts_serial_write_all (self->serial, (const guint8 *) "\r\n", 2,
                            g_get_monotonic_time () + SETTLE_MS * 1000, cancellable, error) ||
      !drain (self, SETTLE_MS, cancellable, error))
    goto out;
  ts_serial_discard_input (self->serial);
  self->rebooted = FALSE;

  if (!detect_framing (self, cancellable, &local_error))
    {
      if (!g_error_matches (local_error, TS_MODEM_ERROR, TS_MODEM_ERROR_NO_ANSWER))
        goto fail;

      /* A bridge left inside quotes by an earlier program swallows every line
       * (§2.1 item 5): close the quote, then probe once more. */
      if (!settle_bridge (self, ANY_TERMINATOR, sizeof ANY_TERMINATOR))
        goto fail;
      g_clear_error (&local_error);
      if (!detect_framing (self, cancellable, &local_error))
        goto fail;
    }

  /* This turns numeric errors on whether or not the kit just booted. */
  self->rebooted = FALSE;
  info = _ts_modem_exchange (self, "AT+CMEE=1", NULL, _("Enabling numeric errors"),
                             self->timeout_ms, TS_EXCHANGE_NONE, cancellable, error);
  ok = info != NULL;
  goto out;

fail:
  g_propagate_error (error, g_steal_pointer (&local_error));
out:
  _ts_modem_unlock (self);
  return ok;
}

/**
 * ts_modem_new_for_fd:
 * @fd: an open tty or pty; ownership passes to the modem
 *
 * Wraps @fd without starting a session; see ts_modem_start_session().
 *
 * Returns: (transfer full) (nullable): the modem
 */
TsModem *
ts_modem_new_for_fd (int          fd,
                     const char  *label,
                     GError     **error)
{
  TsSerial *serial;
  TsModem *self;

  g_return_val_if_fail (fd >= 0, NULL);

  if (!(serial = ts_serial_new_for_fd (fd, label, error)))
    return NULL;

  self = g_object_new (TS_TYPE_MODEM, NULL);
  self->serial = serial;

  return self;
}

/**
 * ts_modem_open:
 * @path: a tty (`/dev/ttyACM0`), a pty, or a link to one
 *
 * Opens the port and starts the session.
 *
 * Returns: (transfer full) (nullable): the modem
 */
TsModem *
ts_modem_open (const char        *path,
               TsModemOpenFlags   flags,
               GCancellable      *cancellable,
               GError           **error)
{
  g_autoptr(TsModem) self = NULL;
  TsSerial *serial;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);

  if (!(serial = ts_serial_open (path, (flags & TS_MODEM_OPEN_RTSCTS) != 0, error)))
    return NULL;

  self = g_object_new (TS_TYPE_MODEM, NULL);
  self->serial = serial;

  if (!ts_modem_start_session (self, cancellable, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * ts_modem_open_port:
 * @port: an entry from ts_modem_discover()
 *
 * Returns: (transfer full) (nullable): the modem
 */
TsModem *
ts_modem_open_port (const TsPortInfo  *port,
                    TsModemOpenFlags   flags,
                    GCancellable      *cancellable,
                    GError           **error)
{
  g_return_val_if_fail (port != NULL, NULL);

  return ts_modem_open (port->path, flags, cancellable, error);
}

/* Closes the port; later calls fail with TS_MODEM_ERROR_DISCONNECTED. */
void
ts_modem_close (TsModem *self)
{
  g_return_if_fail (TS_IS_MODEM (self));

  _ts_modem_lock (self);
  g_clear_pointer (&self->serial, ts_serial_free);
  _ts_modem_unlock (self);
}

const char *
ts_modem_get_path (TsModem *self)
{
  g_return_val_if_fail (TS_IS_MODEM (self), NULL);

  return self->serial != NULL ? ts_serial_get_path (self->serial) : NULL;
}

TsAtMode
ts_modem_get_mode (TsModem *self)
{
  g_return_val_if_fail (TS_IS_MODEM (self), TS_AT_MODE_LINE);

  return self->mode;
}

TsAtEol
ts_modem_get_eol (TsModem *self)
{
  g_return_val_if_fail (TS_IS_MODEM (self), TS_AT_EOL_CRLF);

  return self->eol;
}

/* Sets the per-command timeout; key generation gets twice as long (§3.4). */
void
ts_modem_set_timeout (TsModem *self,
                      guint    timeout_ms)
{
  g_return_if_fail (TS_IS_MODEM (self));
  g_return_if_fail (timeout_ms > 0);

  self->timeout_ms = timeout_ms;
}

guint
ts_modem_get_timeout (TsModem *self)
{
  g_return_val_if_fail (TS_IS_MODEM (self), TS_MODEM_TIMEOUT_MS);

  return self->timeout_ms;
}

/**
 * ts_modem_set_observer:
 * @observer: (nullable): called for each finished command and unsolicited line
 *
 * Replaces the observer. It runs on the thread that runs the command.
 */
void
ts_modem_set_observer (TsModem         *self,
                       TsModemObserver  observer,
                       gpointer         user_data,
                       GDestroyNotify   destroy)
{
  g_return_if_fail (TS_IS_MODEM (self));

  _ts_modem_lock (self);
  if (self->observer_destroy != NULL)
    self->observer_destroy (self->observer_data);
  self->observer = observer;
  self->observer_data = user_data;
  self->observer_destroy = destroy;
  _ts_modem_unlock (self);
}

guint64
ts_modem_get_bytes_written (TsModem *self)
{
  g_return_val_if_fail (TS_IS_MODEM (self), 0);

  return self->bytes_written;
}

guint64
ts_modem_get_bytes_read (TsModem *self)
{
  g_return_val_if_fail (TS_IS_MODEM (self), 0);

  return self->bytes_read;
}

/**
 * ts_modem_send:
 * @timeout_ms: 0 for the modem's default
 *
 * Sends one AT command and waits for its final result code.
 *
 * Returns: (transfer full): the information lines, NULL-terminated
 */
char **
ts_modem_send (TsModem       *self,
               const char    *command,
               guint          timeout_ms,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autoptr(GPtrArray) info = NULL;

  g_return_val_if_fail (TS_IS_MODEM (self), NULL);
  g_return_val_if_fail (command != NULL, NULL);

  _ts_modem_lock (self);
  info = _ts_modem_exchange (self, command, NULL, command,
                             timeout_ms > 0 ? timeout_ms : self->timeout_ms,
                             TS_EXCHANGE_NONE, cancellable, error);
  _ts_modem_unlock (self);

  if (info == NULL)
    return NULL;

  g_ptr_array_add (info, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&info), FALSE);
}

/* Runs @command and returns its first information line, or NULL with @error. */
static char *
query_line (TsModem       *self,
            const char    *command,
            const char    *what,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr(GPtrArray) info = NULL;

  info = _ts_modem_exchange (self, command, NULL, what, self->timeout_ms, TS_EXCHANGE_NONE,
                             cancellable, error);
  if (info == NULL)
    return NULL;

  if (info->len == 0)
    {
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_PROTOCOL,
                   _("%s: the modem answered OK without a value."), what);
      return NULL;
    }

  return g_strdup (info->pdata[0]);
}

/* The value after "<prefix>: " with surrounding quotes removed. */
static char *
value_after_prefix (const char *line)
{
  const char *colon = strchr (line, ':');
  g_autofree char *value = NULL;
  gsize len;

  if (colon == NULL)
    return g_strdup (line);

  value = g_strstrip (g_strdup (colon + 1));
  len = strlen (value);
  if (len >= 2 && value[0] == '"' && value[len - 1] == '"')
    return g_strndup (value + 1, len - 2);

  return g_steal_pointer (&value);
}

static gboolean
get_functional_mode_locked (TsModem       *self,
                            int           *mode,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autofree char *line = query_line (self, "AT+CFUN?", _("Reading the functional mode"),
                                      cancellable, error);

  if (line == NULL)
    return FALSE;

  if (!ts_nrf91_parse_cfun (line, mode))
    {
      g_autofree char *shown = ts_at_display_text (line);

      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_PROTOCOL,
                   _("The modem's functional mode “%s” does not parse."), shown);
      return FALSE;
    }

  return TRUE;
}

gboolean
ts_modem_get_functional_mode (TsModem       *self,
                              int           *mode,
                              GCancellable  *cancellable,
                              GError       **error)
{
  gboolean ok;

  g_return_val_if_fail (TS_IS_MODEM (self), FALSE);
  g_return_val_if_fail (mode != NULL, FALSE);

  _ts_modem_lock (self);
  ok = get_functional_mode_locked (self, mode, cancellable, error);
  _ts_modem_unlock (self);

  return ok;
}

static gboolean
set_functional_mode_locked (TsModem       *self,
                            int            mode,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autofree char *command = g_strdup_printf ("AT+CFUN=%d", mode);
  g_autofree char *what = g_strdup_printf (_("Switching the modem to mode %d"), mode);
  g_autoptr(GPtrArray) info = NULL;

  info = _ts_modem_exchange (self, command, NULL, what, self->timeout_ms, TS_EXCHANGE_NONE,
                             cancellable, error);

  return info != NULL;
}

gboolean
ts_modem_set_functional_mode (TsModem       *self,
                              int            mode,
                              GCancellable  *cancellable,
                              GError       **error)
{
  gboolean ok;

  g_return_val_if_fail (TS_IS_MODEM (self), FALSE);
  g_return_val_if_fail (mode >= 0, FALSE);

  _ts_modem_lock (self);
  ok = set_functional_mode_locked (self, mode, cancellable, error);
  _ts_modem_unlock (self);

  return ok;
}

/* Credential writes, deletes and %KEYGEN need LTE off (§5): remembers the mode
 * and switches to +CFUN=4 when LTE may be active. */
gboolean
_ts_modem_go_offline (TsModem       *self,
                      int           *previous,
                      GCancellable  *cancellable,
                      GError       **error)
{
  if (!get_functional_mode_locked (self, previous, cancellable, error))
    return FALSE;

  if (!ts_nrf91_cfun_is_lte_active (*previous))
    return TRUE;

  return set_functional_mode_locked (self, 4, cancellable, error);
}

/* Puts the previous mode back, also after a failed operation, unless the caller
 * asked to stay offline. It ignores cancellation: a cancelled write must still
 * leave the modem as it was. When the operation already failed, its error wins. */
gboolean
_ts_modem_restore_mode (TsModem            *self,
                        int                 previous,
                        TsModemWriteFlags   flags,
                        gboolean            succeeded,
                        GError            **error)
{
  g_autoptr(GError) local_error = NULL;

  if ((flags & TS_MODEM_WRITE_STAY_OFFLINE) != 0 || !ts_nrf91_cfun_is_lte_active (previous))
    return TRUE;

  if (set_functional_mode_locked (self, previous, NULL, &local_error))
    return TRUE;

  if (succeeded)
    g_set_error (error, local_error->domain, local_error->code,
                 _("The operation succeeded, but the modem could not be switched back to "
                   "mode %d: %s"), previous, local_error->message);
  return FALSE;
}

/* The device UUID from %DEVICEUUID (nRF91x1), else from the attestation token (§8.2). */
static char *
dup_device_uuid_locked (TsModem       *self,
                        GCancellable  *cancellable,
                        GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(TsAttestation) attestation = NULL;
  g_autofree char *line = NULL;

  line = query_line (self, "AT%DEVICEUUID", _("Reading the device UUID"), cancellable,
                     &local_error);
  if (line != NULL)
    return value_after_prefix (line);

  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_error_matches (local_error, TS_MODEM_ERROR, TS_MODEM_ERROR_DISCONNECTED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  g_debug ("no %%DEVICEUUID (%s); using the attestation token", local_error->message);
  line = query_line (self, "AT%ATTESTTOKEN", _("Reading the attestation token"), cancellable,
                     error);
  if (line == NULL || !(attestation = ts_attestation_parse (line, error)))
    return NULL;

  return g_strdup (attestation->device_uuid);
}

char *
ts_modem_dup_device_uuid (TsModem       *self,
                          GCancellable  *cancellable,
                          GError       **error)
{
  char *uuid;

  g_return_val_if_fail (TS_IS_MODEM (self), NULL);

  _ts_modem_lock (self);
  uuid = dup_device_uuid_locked (self, cancellable, error);
  _ts_modem_unlock (self);

  return uuid;
}

/* An optional query: only I/O trouble is an error, ERROR answers give NULL. */
static gboolean
query_optional (TsModem       *self,
                const char    *command,
                const char    *what,
                char         **value,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *line = query_line (self, command, what, cancellable, &local_error);

  *value = NULL;
  if (line != NULL)
    {
      *value = value_after_prefix (line);
      return TRUE;
    }

  if (local_error->domain == TS_CME_ERROR ||
      g_error_matches (local_error, TS_MODEM_ERROR, TS_MODEM_ERROR_AT_ERROR) ||
      g_error_matches (local_error, TS_MODEM_ERROR, TS_MODEM_ERROR_PROTOCOL))
    return TRUE;

  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/**
 * ts_modem_query_identity:
 *
 * Reads IMEI, manufacturer, model, firmware, hardware version, device UUID and
 * functional mode (§4, §8.2).
 *
 * Returns: (transfer full) (nullable): the identity
 */
TsModemIdentity *
ts_modem_query_identity (TsModem       *self,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_autoptr(TsModemIdentity) identity = g_new0 (TsModemIdentity, 1);
  g_autoptr(GError) uuid_error = NULL;
  g_autofree char *imei_line = NULL;
  TsModemIdentity *result = NULL;

  g_return_val_if_fail (TS_IS_MODEM (self), NULL);

  _ts_modem_lock (self);

  if (!(imei_line = query_line (self, "AT+CGSN=1", _("Reading the IMEI"), cancellable, error)))
    goto out;
  identity->imei = value_after_prefix (imei_line);
  if (strlen (identity->imei) != 15 || strspn (identity->imei, "0123456789") != 15)
    {
      g_autofree char *shown = ts_at_display_text (identity->imei);

      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_PROTOCOL,
                   _("The modem's IMEI “%s” is not 15 digits; the answer was probably garbled. "
                     "Try again."), shown);
      goto out;
    }

  if (!(identity->manufacturer = query_line (self, "AT+CGMI", _("Reading the manufacturer"),
                                             cancellable, error)) ||
      !(identity->model = query_line (self, "AT+CGMM", _("Reading the model"),
                                      cancellable, error)) ||
      !(identity->firmware = query_line (self, "AT+CGMR", _("Reading the modem firmware version"),
                                         cancellable, error)))
    goto out;
  identity->firmware_version_known = ts_nrf91_parse_firmware (identity->firmware,
                                                              &identity->firmware_version);

  if (!query_optional (self, "AT%HWVERSION", _("Reading the hardware version"),
                       &identity->hardware_version, cancellable, error))
    goto out;

  identity->device_uuid = dup_device_uuid_locked (self, cancellable, &uuid_error);
  if (identity->device_uuid == NULL &&
      (g_error_matches (uuid_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
       g_error_matches (uuid_error, TS_MODEM_ERROR, TS_MODEM_ERROR_DISCONNECTED)))
    {
      g_propagate_error (error, g_steal_pointer (&uuid_error));
      goto out;
    }

  if (!get_functional_mode_locked (self, &identity->functional_mode, cancellable, error))
    goto out;

  result = g_steal_pointer (&identity);

out:
  _ts_modem_unlock (self);
  return result;
}

void
ts_modem_identity_free (TsModemIdentity *identity)
{
  if (identity == NULL)
    return;

  g_free (identity->imei);
  g_free (identity->manufacturer);
  g_free (identity->model);
  g_free (identity->firmware);
  g_free (identity->hardware_version);
  g_free (identity->device_uuid);
  g_free (identity);
}
