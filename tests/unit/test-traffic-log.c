/* test-traffic-log.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <signal.h>

#include "test-ca-util.h"
#include "ts-at-elide.h"
#include "ts-traffic-log.h"
#include "ts-modem.h"
#include "ts-nrf91-token.h"

#define SEC_TAG   16842753
#define KEYGEN_TAG 16842754
#define PSK       "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define IDENTITY  "kit-352656100000036"

/* What one line becomes: credential content, passwords and generated output go, the
 * rest of the line stays as it was. */
static void
test_elide_lines (void)
{
  static const struct
  {
    const char *line;
    const char *shown;
  } cases[] = {
    { "AT%CMNG=0,16842753,0,\"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\"",
      "AT%CMNG=0,16842753,0,\"<CA certificate, 58 bytes, elided>\"" },
    { "AT%CMNG=0,7,2,\"-----BEGIN ENCRYPTED PRIVATE KEY-----\nabc\n\",\"hunter2\"",
      "AT%CMNG=0,7,2,\"<private key, 42 bytes, elided>\",\"<key password, 7 bytes, elided>\"" },
    { "at%cmng=0,7,3,\"" PSK "\"", "at%cmng=0,7,3,\"<PSK, 32 bytes, elided>\"" },
    { "%CMNG: 7,1,\"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\",\"-----BEGIN\"",
      "%CMNG: 7,1,\"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\","
      "\"<client certificate, 10 bytes, elided>\"" },
    /* A listing's SHA-256 is what people compare: it stays. */
    { "%CMNG: 7,1,\"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\"",
      "%CMNG: 7,1,\"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\"" },
    { "%KEYGEN: \"MIIBCjCBsAIBADBOMUwwSgYDVQQDDEM.0oRDoQEm\"",
      "%KEYGEN: <key generation output, 42 bytes, elided>" },
    { "%ATTESTTOKEN: \"2dn3hQFQUDYxVDkxRPCAIhIbZAFifQNQGv86y8GjTA.0oRDoQEmoQRBIfZYQGuX\"",
      "%ATTESTTOKEN: <attestation token, 65 bytes, elided>" },
    /* Stray lines: a PEM line or a long base64 run, wherever they come from. */
    { "-----BEGIN PRIVATE KEY-----", "<PEM text, 27 bytes, elided>" },
    { "x MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg y",
      "x <encoded data, 48 bytes, elided> y" },
    { "AT+CGSN", "AT+CGSN" },
    { "352656100000036", "352656100000036" },
    { "+CEREG: 5,\"4E20\",\"0139A3F2\",7", "+CEREG: 5,\"4E20\",\"0139A3F2\",7" },
    { "AT%CMNG=1,16842753", "AT%CMNG=1,16842753" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *shown = ts_at_elide (cases[i].line);

      g_assert_cmpstr (shown, ==, cases[i].shown);
    }
}

static void
die_with_test (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* No piece of @secret (any 16 characters of a line of it) is in @log. */
static void
assert_absent (const char *log,
               const char *secret)
{
  g_auto(GStrv) lines = g_strsplit (secret, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      gsize len = strlen (lines[i]);

      if (g_str_has_prefix (lines[i], "-----"))
        continue;
      for (gsize at = 0; at + 16 <= len; at += 8)
        {
          g_autofree char *piece = g_strndup (lines[i] + at, 16);

          if (strstr (log, piece) != NULL)
            g_error ("the log holds “%s” of a secret:\n%s", piece, log);
        }
    }
}

static void
write_text (TsModem    *modem,
            guint       type,
            const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) content = g_bytes_new (text, strlen (text));

  g_assert_true (ts_modem_write_credential (modem, SEC_TAG, type, content, NULL, TS_LINE_ENDINGS_LF,
                                            TS_MODEM_WRITE_STAY_OFFLINE, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* A whole session against the emulator: certificates and a pasted key written and read
 * back, a PSK and its identity, a key made on the modem. The log names each command and
 * what it answered, and holds no byte of any body. */
static void
test_session_holds_no_secret (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) emulator = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(TsModem) modem = NULL;
  g_autoptr(TsTrafficLog) log = ts_traffic_log_new (10000);
  g_autoptr(TsKeygenResult) keygen = NULL;
  g_autoptr(GBytes) read_back = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-traffic-log-XXXXXX", NULL);
  g_autofree char *port = NULL;
  g_autofree char *cert_pem = NULL;
  g_autofree char *key_pem = NULL;
  g_autofree char *text = NULL;
  g_autofree char *cert_note = NULL;
  g_auto(GStrv) imei = NULL;

  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", dir, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
  emulator = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("TAGSMITH_EMULATOR"),
                                          "--no-pacing", "--imei", "352656100000036",
                                          "--cfun", "1", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (emulator));
  port = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  modem = ts_modem_open (port, TS_MODEM_OPEN_NONE, NULL, &error);
  g_assert_no_error (error);
  ts_modem_set_observer (modem, ts_traffic_log_observe, ts_traffic_log_ref (log),
                         (GDestroyNotify) ts_traffic_log_unref);

  imei = ts_modem_send (modem, "AT+CGSN", 0, NULL, &error);
  g_assert_no_error (error);
  make_self_signed ("traffic-log test", &cert_pem, &key_pem);
  write_text (modem, 0, cert_pem);
  write_text (modem, 1, cert_pem);
  write_text (modem, 2, key_pem);
  write_text (modem, 3, PSK);
  write_text (modem, 4, IDENTITY);
  read_back = ts_modem_read_credential (modem, SEC_TAG, 1, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (read_back, NULL), g_bytes_get_size (read_back),
                   cert_pem, strlen (cert_pem));
  keygen = ts_modem_keygen (modem, KEYGEN_TAG, NULL, TS_MODEM_WRITE_STAY_OFFLINE, NULL, &error);
  g_assert_no_error (error);
  ts_modem_close (modem);
  g_subprocess_force_exit (emulator);
  g_subprocess_wait (emulator, NULL, NULL);
  g_rmdir (dir);

  text = ts_traffic_log_dup_text (log);
  g_test_message ("%s", text);
  assert_absent (text, cert_pem);
  assert_absent (text, key_pem);
  assert_absent (text, keygen->token);
  g_assert_null (strstr (text, PSK));
  g_assert_null (strstr (text, IDENTITY));
  g_assert_null (strstr (text, "-----BEGIN"));

  /* What was done is all there, in order, with what the modem answered. */
  cert_note = g_strdup_printf ("→ AT%%CMNG=0,%u,0,\"<CA certificate, %" G_GSIZE_FORMAT " bytes, elided>\"",
                               SEC_TAG, strlen (cert_pem));
  g_assert_nonnull (strstr (text, cert_note));
  g_assert_nonnull (strstr (text, "<private key, "));
  g_assert_nonnull (strstr (text, "\"<PSK, 32 bytes, elided>\""));
  g_assert_nonnull (strstr (text, "<PSK identity, 19 bytes, elided>"));
  g_assert_nonnull (strstr (text, "→ AT%CMNG=2,16842753,1"));
  g_assert_nonnull (strstr (text, "← %CMNG: 16842753,1,\""));
  g_assert_nonnull (strstr (text, "<client certificate, "));
  g_assert_nonnull (strstr (text, "← %KEYGEN: <key generation output, "));
  g_assert_nonnull (strstr (text, "← OK\n"));
  g_assert_true (g_regex_match_simple ("^\\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d → AT\\+CGSN\n"
                                       "\\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d ← 352656100000036\n",
                                       text, G_REGEX_MULTILINE, 0));
}

/* The log keeps its newest lines, and tells whoever shows it once per batch of news. */
static void
test_log_bounded (void)
{
  g_autoptr(TsTrafficLog) log = ts_traffic_log_new (3);
  const char *answer[] = { "352656100000036", "OK", NULL };
  TsModemEvent event = { TS_MODEM_EVENT_COMMAND, "AT+CGSN", 0, 0, 0, NULL, answer };
  TsModemEvent urc = { TS_MODEM_EVENT_UNSOLICITED, "+CEREG: 2", 0, 0, 0, NULL, NULL };
  g_autofree char *text = NULL;

  g_assert_true (ts_traffic_log_add (log, &event));
  g_assert_false (ts_traffic_log_add (log, &urc));
  g_assert_cmpuint (ts_traffic_log_get_n_lines (log), ==, 3);
  text = ts_traffic_log_dup_text (log);
  g_assert_null (strstr (text, "AT+CGSN"));
  g_assert_nonnull (strstr (text, "← 352656100000036\n"));
  g_assert_nonnull (strstr (text, "← +CEREG: 2\n"));
  g_assert_true (ts_traffic_log_add (log, &urc));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/traffic-log/elide", test_elide_lines);
  g_test_add_func ("/traffic-log/bounded", test_log_bounded);
  g_test_add_func ("/traffic-log/session", test_session_holds_no_secret);

  return g_test_run ();
}
