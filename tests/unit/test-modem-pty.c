/* test-modem-pty.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Drives TsModem over a real pty pair. A thread on the master side plays an
 * AT host in CR mode from a script: every answer goes out in odd-sized pieces,
 * and each test arms the fault it is about (URC after OK, boot banner, echo with
 * ANSI colour, a lost final code, +CME ERROR: 518, a wrong SHA-256). */

#define _GNU_SOURCE   /* posix_openpt, ptsname */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ts-modem.h"

#define IMEI "352656100367872"
#define URC  "+CEREG: 5,\"4E2B\",\"0214B716\",7"

typedef struct
{
  int         master;
  GThread    *thread;
  gboolean    stop;         /* atomic */

  GMutex      lock;
  GPtrArray  *received;     /* every command, as received */
  int         cfun;
  char       *stored_sha;   /* SHA-256 of the last written content */
  int         stored_tag;
  int         stored_type;

  /* Faults, each for the next command only unless said otherwise. */
  gboolean    urc_after_ok;
  gboolean    banner;
  gboolean    mute;
  gboolean    echo;         /* every command, with ANSI colour around it */
  int         write_cme;    /* answer writes with this +CME ERROR */
  gboolean    bad_sha;      /* list a different SHA-256 than was written */
  guint       delay_ms;     /* answer the next command this late */
  GCancellable *answer_after; /* hold the next answer until this is cancelled */
  const char *flood;        /* answer the next command with this, over and over */
} FakeModem;

/* The SHA-256 of what stands between the quotes of a %CMNG=0 write. */
static char *
content_sha (const char *command)
{
  const char *start = strchr (command, '"');
  const char *end = start ? strchr (start + 1, '"') : NULL;
  g_autofree char *hex = NULL;

  if (end == NULL)
    return NULL;

  hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) start + 1,
                                     end - start - 1);
  return g_ascii_strup (hex, -1);
}

/* Builds the answer to @command; the caller holds the lock. */
static GString *
answer (FakeModem  *fake,
        const char *command)
{
  GString *out = g_string_new (NULL);
  int tag, mode;

  if (fake->echo)
    g_string_append_printf (out, "\033[1;33m%s\033[0m\r\n", command);

  if (fake->banner)
    {
      fake->banner = FALSE;
      g_string_append (out, "\r\n*** Booting nRF Connect SDK v2.6.0 ***\r\nReady\r\n");
    }

  if (fake->mute)
    {
      fake->mute = FALSE;
      return out;
    }

  if (g_str_equal (command, "AT+CFUN?"))
    g_string_append_printf (out, "+CFUN: %d\r\n", fake->cfun);
  else if (sscanf (command, "AT+CFUN=%d", &mode) == 1)
    fake->cfun = mode;
  else if (g_str_equal (command, "AT+CGSN=1"))
    g_string_append (out, "+CGSN: \"" IMEI "\"\r\n");
  else if (g_str_equal (command, "AT+CGMI"))
    g_string_append (out, "Nordic Semiconductor ASA\r\n");
  else if (g_str_has_prefix (command, "AT%CMNG=0,"))
    {
      int code = fake->write_cme != 0 ? fake->write_cme : fake->cfun != 4 ? 518 : 0;

      if (code != 0)
        {
          g_string_append_printf (out, "+CME ERROR: %d\r\n", code);
          return out;
        }
      g_free (fake->stored_sha);
      fake->stored_sha = content_sha (command);
      sscanf (command, "AT%%CMNG=0,%d,%d", &fake->stored_tag, &fake->stored_type);
      if (fake->bad_sha)
        fake->stored_sha[0] = fake->stored_sha[0] == 'A' ? 'B' : 'A';
    }
  else if (sscanf (command, "AT%%CMNG=1,%d", &tag) == 1)
    {
      if (fake->stored_sha != NULL && tag == fake->stored_tag)
        g_string_append_printf (out, "%%CMNG: %d,%d,\"%s\"\r\n", fake->stored_tag,
                                fake->stored_type, fake->stored_sha);
    }
  else if (!g_str_equal (command, "AT") && !g_str_equal (command, "AT+CMEE=1"))
    {
      g_string_append (out, "ERROR\r\n");
      return out;
    }

  g_string_append (out, "OK\r\n");
  if (fake->urc_after_ok)
    {
      fake->urc_after_ok = FALSE;
      g_string_append (out, "\r\n" URC "\r\n");
    }

  return out;
}

/* Writes @out in pieces of 1, 2, 3, 5, 7, ... bytes with short gaps between. */
static void
send_split (FakeModem     *fake,
            const GString *out)
{
  static const gsize sizes[] = { 1, 2, 3, 5, 7, 11, 4 };

  for (gsize off = 0, i = 0; off < out->len; i++)
    {
      gsize n = MIN (sizes[i % G_N_ELEMENTS (sizes)], out->len - off);
      ssize_t w = write (fake->master, out->str + off, n);

      if (w <= 0)
        return;
      off += w;
      g_usleep (300);
    }
}

/* Repeats @unit for 4 MiB, or until the test ends or the host stops reading. */
static void
send_flood (FakeModem  *fake,
            const char *unit)
{
  g_autoptr(GString) block = g_string_new (NULL);
  gsize sent = 0;

  int flags = fcntl (fake->master, F_GETFL);

  while (block->len < 4096)
    g_string_append (block, unit);
  /* Non-blocking, so a full pty never keeps the fake from seeing the test end. */
  fcntl (fake->master, F_SETFL, flags | O_NONBLOCK);
  while (sent < 4 * 1024 * 1024 && !g_atomic_int_get (&fake->stop))
    {
      struct pollfd pfd = { fake->master, POLLOUT, 0 };
      ssize_t w;

      if (poll (&pfd, 1, 20) <= 0)
        continue;
      w = write (fake->master, block->str, block->len);
      if (w < 0 && errno != EAGAIN && errno != EINTR)
        break;
      sent += MAX (w, 0);
    }
  fcntl (fake->master, F_SETFL, flags);
}

/* Reads commands (ended by CR or LF outside quotes, §2.1) and answers them. */
static gpointer
fake_thread (gpointer data)
{
  FakeModem *fake = data;
  g_autoptr(GString) line = g_string_new (NULL);
  gboolean quoted = FALSE;

  while (!g_atomic_int_get (&fake->stop))
    {
      struct pollfd pfd = { fake->master, POLLIN, 0 };
      char buffer[256];
      ssize_t n;

      if (poll (&pfd, 1, 20) <= 0)
        continue;
      if ((n = read (fake->master, buffer, sizeof buffer)) <= 0)
        {
          g_usleep (1000);
          continue;
        }

      for (ssize_t i = 0; i < n; i++)
        {
          char c = buffer[i];
          g_autoptr(GString) out = NULL;

          if (c == '"')
            quoted = !quoted;
          if (quoted || (c != '\r' && c != '\n'))
            {
              g_string_append_c (line, c);
              continue;
            }
          if (line->len == 0)
            continue;

          guint delay_ms;
          g_autoptr(GCancellable) hold = NULL;
          const char *flood;

          g_mutex_lock (&fake->lock);
          g_ptr_array_add (fake->received, g_strdup (line->str));
          out = answer (fake, line->str);
          delay_ms = fake->delay_ms;
          fake->delay_ms = 0;
          hold = g_steal_pointer (&fake->answer_after);
          flood = g_steal_pointer (&fake->flood);
          g_mutex_unlock (&fake->lock);

          if (flood != NULL)
            {
              g_string_truncate (line, 0);
              send_flood (fake, flood);
              continue;
            }

          g_string_truncate (line, 0);
          g_string_prepend (out, "\r\n");
          g_usleep (delay_ms * 1000);
          while (hold != NULL && !g_cancellable_is_cancelled (hold) && !g_atomic_int_get (&fake->stop))
            g_usleep (1000);
          send_split (fake, out);
        }
    }

  return NULL;
}

typedef struct
{
  FakeModem  fake;
  TsModem   *modem;
} Fixture;

static void
fixture_set_up (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  int slave;

  memset (&fx->fake, 0, sizeof fx->fake);
  g_mutex_init (&fx->fake.lock);
  fx->fake.received = g_ptr_array_new_with_free_func (g_free);
  fx->fake.cfun = 1;

  fx->fake.master = posix_openpt (O_RDWR | O_NOCTTY);
  g_assert_cmpint (fx->fake.master, >=, 0);
  g_assert_cmpint (grantpt (fx->fake.master), ==, 0);
  g_assert_cmpint (unlockpt (fx->fake.master), ==, 0);
  slave = open (ptsname (fx->fake.master), O_RDWR | O_NOCTTY);
  g_assert_cmpint (slave, >=, 0);

  fx->modem = ts_modem_new_for_fd (slave, "scripted-pty", &error);
  g_assert_no_error (error);
  fx->fake.thread = g_thread_new ("fake-modem", fake_thread, &fx->fake);

  g_assert_true (ts_modem_start_session (fx->modem, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (ts_modem_get_mode (fx->modem), ==, TS_AT_MODE_LINE);
  g_assert_cmpint (ts_modem_get_eol (fx->modem), ==, TS_AT_EOL_CR);
}

static void
fixture_tear_down (Fixture       *fx,
                   gconstpointer  data)
{
  g_clear_object (&fx->modem);
  g_atomic_int_set (&fx->fake.stop, TRUE);
  g_thread_join (fx->fake.thread);
  close (fx->fake.master);
  g_ptr_array_unref (fx->fake.received);
  g_free (fx->fake.stored_sha);
  g_clear_object (&fx->fake.answer_after);
  g_mutex_clear (&fx->fake.lock);
}

/* Arms faults under the fake's lock. */
#define ARM(fx, field, value) G_STMT_START { \
    g_mutex_lock (&(fx)->fake.lock); \
    (fx)->fake.field = (value); \
    g_mutex_unlock (&(fx)->fake.lock); \
  } G_STMT_END

/* Commands the fake received since @from, joined by " | ". */
static char *
received_since (Fixture *fx,
                guint    from)
{
  g_autoptr(GString) out = g_string_new (NULL);

  g_mutex_lock (&fx->fake.lock);
  for (guint i = from; i < fx->fake.received->len; i++)
    g_string_append_printf (out, "%s%s", out->len > 0 ? " | " : "",
                            (const char *) fx->fake.received->pdata[i]);
  g_mutex_unlock (&fx->fake.lock);

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static guint
n_received (Fixture *fx)
{
  guint n;

  g_mutex_lock (&fx->fake.lock);
  n = fx->fake.received->len;
  g_mutex_unlock (&fx->fake.lock);

  return n;
}

static int
fake_cfun (Fixture *fx)
{
  int mode;

  g_mutex_lock (&fx->fake.lock);
  mode = fx->fake.cfun;
  g_mutex_unlock (&fx->fake.lock);

  return mode;
}

/* Sends @command and checks it answered exactly @expected_line (or nothing). */
static void
assert_answer (Fixture    *fx,
               const char *command,
               const char *expected_line)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) info = ts_modem_send (fx->modem, command, 0, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (info);
  if (expected_line == NULL)
    g_assert_cmpuint (g_strv_length (info), ==, 0);
  else
    {
      g_assert_cmpuint (g_strv_length (info), ==, 1);
      g_assert_cmpstr (info[0], ==, expected_line);
    }
}

static void
test_split_answers (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  int mode = -1;

  assert_answer (fx, "AT+CGSN=1", "+CGSN: \"" IMEI "\"");
  assert_answer (fx, "AT+CGMI", "Nordic Semiconductor ASA");

  g_assert_true (ts_modem_get_functional_mode (fx->modem, &mode, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (mode, ==, 1);
}

static void
count_unsolicited (TsModem            *modem,
                   const TsModemEvent *event,
                   gpointer            user_data)
{
  if (event->kind == TS_MODEM_EVENT_UNSOLICITED && g_str_equal (event->label, URC))
    g_atomic_int_inc ((int *) user_data);
}

static void
test_urc_after_ok (Fixture       *fx,
                   gconstpointer  data)
{
  int seen = 0;

  ts_modem_set_observer (fx->modem, count_unsolicited, &seen, NULL);
  ARM (fx, urc_after_ok, TRUE);
  assert_answer (fx, "AT+CGMI", "Nordic Semiconductor ASA");
  /* The URC arrives after OK; the next command must not take it as its answer. */
  assert_answer (fx, "AT+CGSN=1", "+CGSN: \"" IMEI "\"");
  g_assert_cmpint (g_atomic_int_get (&seen), ==, 1);
  ts_modem_set_observer (fx->modem, NULL, NULL, NULL);
}

static void
test_boot_banner (Fixture       *fx,
                  gconstpointer  data)
{
  g_autofree char *sequence = NULL;
  guint from;

  ARM (fx, banner, TRUE);
  assert_answer (fx, "AT+CGMI", "Nordic Semiconductor ASA");

  /* A restarted modem has numeric errors off again (§3.1): they are turned back on first. */
  from = n_received (fx);
  assert_answer (fx, "AT+CGSN=1", "+CGSN: \"" IMEI "\"");
  sequence = received_since (fx, from);
  g_assert_cmpstr (sequence, ==, "AT+CMEE=1 | AT+CGSN=1");
}

static void
test_echo_and_ansi (Fixture       *fx,
                    gconstpointer  data)
{
  ARM (fx, echo, TRUE);
  assert_answer (fx, "AT+CGSN=1", "+CGSN: \"" IMEI "\"");
  assert_answer (fx, "AT+CGMI", "Nordic Semiconductor ASA");
  assert_answer (fx, "AT", NULL);
}

static void
test_missing_final_code (Fixture       *fx,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) info = NULL;

  ARM (fx, mute, TRUE);
  info = ts_modem_send (fx->modem, "AT+CGMI", 300, NULL, &error);
  g_assert_null (info);
  g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (error->message, "did not answer"));
  g_assert_nonnull (strstr (error->message, "AT port"));

  assert_answer (fx, "AT+CGSN=1", "+CGSN: \"" IMEI "\"");
}

typedef struct
{
  Fixture      *fx;
  GCancellable *cancellable;
  guint         from;
} Canceller;

/* Cancels once the fake has received the command, so the host is waiting for its answer. */
static gpointer
cancel_once_received (gpointer data)
{
  Canceller *canceller = data;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (n_received (canceller->fx) <= canceller->from && g_get_monotonic_time () < deadline)
    g_usleep (1000);
  g_cancellable_cancel (canceller->cancellable);

  return NULL;
}

static void
test_cancelled_answer_not_taken (Fixture       *fx,
                                 gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) info = NULL;
  Canceller watch = { fx, cancellable, n_received (fx) };
  GThread *canceller;

  /* The answer comes only after the host gave up on it. */
  ARM (fx, answer_after, g_object_ref (cancellable));
  canceller = g_thread_new ("canceller", cancel_once_received, &watch);
  info = ts_modem_send (fx->modem, "AT+CGMI", 2000, cancellable, &error);
  g_thread_join (canceller);
  g_assert_null (info);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The cancelled command's late answer must not be taken for this one's. */
  assert_answer (fx, "AT+CGSN=1", "+CGSN: \"" IMEI "\"");
}

#define PEM_CRLF "-----BEGIN CERTIFICATE-----\r\nMIIBszCCAVmgAwIBAgIUQ2Ry\r\n-----END CERTIFICATE-----\r\n"
#define PEM_LF   "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2Ry\n-----END CERTIFICATE-----\n"

/* Writes a short PEM with CR LF line breaks to sec_tag 42 as a client certificate. */
static gboolean
write_certificate (Fixture            *fx,
                   TsModemWriteFlags   flags,
                   char              **sha256,
                   GError            **error)
{
  g_autoptr(GBytes) content = g_bytes_new_static (PEM_CRLF, strlen (PEM_CRLF));

  return ts_modem_write_credential (fx->modem, 42, TS_CRED_CLIENT_CERT, content, NULL,
                                    TS_LINE_ENDINGS_LF, flags, sha256, NULL, error);
}

/* Checks the commands since @from start with @prefix and end with @suffix (the
 * write's content lies between). */
static void
assert_sequence (Fixture    *fx,
                 guint       from,
                 const char *prefix,
                 const char *suffix)
{
  g_autofree char *sequence = received_since (fx, from);

  if (!g_str_has_prefix (sequence, prefix) || !g_str_has_suffix (sequence, suffix))
    g_error ("unexpected commands: %s", sequence);
}

static void
test_write_goes_offline (Fixture       *fx,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *expected = NULL;
  guint from = n_received (fx);

  g_assert_true (write_certificate (fx, TS_MODEM_WRITE_NONE, &sha256, &error));
  g_assert_no_error (error);

  /* LF normalisation: the modem stores (and hashes) the PEM without CRs. */
  expected = content_sha ("\"" PEM_LF "\"");
  g_assert_cmpstr (sha256, ==, expected);
  g_assert_cmpint (fake_cfun (fx), ==, 1);
  assert_sequence (fx, from, "AT+CFUN? | AT+CFUN=4 | AT%CMNG=0,42,1,\"" PEM_LF,
                   "\" | AT%CMNG=1,42,1 | AT+CFUN=1");
}

static void
test_write_cme_518 (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sha256 = NULL;
  guint from = n_received (fx);

  ARM (fx, write_cme, 518);
  g_assert_false (write_certificate (fx, TS_MODEM_WRITE_NONE, &sha256, &error));
  g_assert_error (error, TS_CME_ERROR, 518);
  g_assert_nonnull (strstr (error->message, "518"));
  g_assert_null (sha256);

  /* The previous mode is back although the write failed. */
  g_assert_cmpint (fake_cfun (fx), ==, 1);
  assert_sequence (fx, from, "AT+CFUN? | AT+CFUN=4 | AT%CMNG=0,42,1,\"", "\" | AT+CFUN=1");

  /* Asked to stay offline, it stays offline, also after the error. */
  g_clear_error (&error);
  g_assert_false (write_certificate (fx, TS_MODEM_WRITE_STAY_OFFLINE, NULL, &error));
  g_assert_error (error, TS_CME_ERROR, 518);
  g_assert_cmpint (fake_cfun (fx), ==, 4);

  /* A modem that is already offline is written without switching, and left offline. */
  g_clear_error (&error);
  ARM (fx, write_cme, 0);
  from = n_received (fx);
  g_assert_true (write_certificate (fx, TS_MODEM_WRITE_NONE, NULL, &error));
  g_assert_no_error (error);
  assert_sequence (fx, from, "AT+CFUN? | AT%CMNG=0,42,1,\"", "\" | AT%CMNG=1,42,1");
  g_assert_cmpint (fake_cfun (fx), ==, 4);
}

static void
test_write_sha_mismatch (Fixture       *fx,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sha256 = NULL;

  ARM (fx, bad_sha, TRUE);
  g_assert_false (write_certificate (fx, TS_MODEM_WRITE_NONE, &sha256, &error));
  g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_VERIFY_FAILED);
  g_assert_nonnull (strstr (error->message, "stored something else"));
  g_assert_null (sha256);
  g_assert_cmpint (fake_cfun (fx), ==, 1);
}

/* A device that never ends its line, or never ends its answer, is a clear error
 * after a bounded amount of memory, not a timeout after gigabytes. */
static void
test_flood_is_an_error (Fixture       *fx,
                        gconstpointer  data)
{
  static const char *const floods[] = { "x\"\r", "%CMNG: 1,0,\"0123456789ABCDEF\"\r\n" };

  for (guint i = 0; i < G_N_ELEMENTS (floods); i++)
    {
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) info = NULL;

      ARM (fx, flood, floods[i]);
      info = ts_modem_send (fx->modem, "AT%CMNG=1", 0, NULL, &error);
      g_assert_null (info);
      g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_PROTOCOL);
      g_assert_nonnull (strstr (error->message, "without ending its answer"));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/modem-pty/split-answers", test_split_answers);
  ADD ("/modem-pty/urc-after-ok", test_urc_after_ok);
  ADD ("/modem-pty/boot-banner", test_boot_banner);
  ADD ("/modem-pty/echo-and-ansi", test_echo_and_ansi);
  ADD ("/modem-pty/missing-final-code", test_missing_final_code);
  ADD ("/modem-pty/cancelled-answer-not-taken", test_cancelled_answer_not_taken);
  ADD ("/modem-pty/write-goes-offline", test_write_goes_offline);
  ADD ("/modem-pty/write-cme-518", test_write_cme_518);
  ADD ("/modem-pty/write-sha-mismatch", test_write_sha_mismatch);
  ADD ("/modem-pty/flood-is-an-error", test_flood_is_an_error);

#undef ADD

  return g_test_run ();
}
