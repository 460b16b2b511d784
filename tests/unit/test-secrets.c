/* test-secrets.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include <ca.h>

#include "test-secret-watch.h"
#include "ts-modem-secret.h"
#include "ts-nrf91.h"
#include "ts-store.h"

/* Stands for a private key; a marker no other allocation holds. */
static const char marker[] = "MC4CAQAwBQYDK2VwBCIEIKeyMaterialThatMustBeWipedBeforeFree";

static const char key_pem[] =
  "-----BEGIN PRIVATE KEY-----\n"
  "MC4CAQAwBQYDK2VwBCIEIKeyMaterialThatMustBeWipedBeforeFree\n"
  "-----END PRIVATE KEY-----\n";

static gboolean
skip_without_watch (void)
{
  if (secret_watch_available ())
    return FALSE;
  g_test_skip ("needs AddressSanitizer's free hook (build with -Db_sanitize=address)");
  return TRUE;
}

/* The watch itself: a key copy freed with g_free() is caught. This is how a
 * pasted key used to be checked (a plain g_strndup() copy). */
static void
test_watch_sees_plain_free (void)
{
  char *copy;

  if (skip_without_watch ())
    return;

  copy = g_strdup (key_pem);
  secret_watch_start (marker);
  g_free (copy);
  g_assert_cmpuint (secret_watch_stop (), ==, 1);
}

static void
test_secret_free (void)
{
  char *copy;

  if (skip_without_watch ())
    return;

  copy = g_strdup (key_pem);
  secret_watch_start (marker);
  ca_secret_free (copy);
  ca_secret_free (NULL);
  g_assert_cmpuint (secret_watch_stop (), ==, 0);
}

/* The text a credential check parses: a NUL-terminated copy that is wiped
 * when it goes out of scope. */
static void
test_secret_auto (void)
{
  g_autoptr(GBytes) pasted = g_bytes_new_static (key_pem, strlen (key_pem));

  if (skip_without_watch ())
    return;

  secret_watch_start (marker);
  {
    g_auto(CaSecret) text = ca_secret_dup_text (pasted);

    g_assert_cmpstr (text, ==, key_pem);
  }
  g_assert_cmpuint (secret_watch_stop (), ==, 0);
}

/* A PSK trimmed in place keeps copies of its last bytes behind its new end;
 * they go too. */
static void
test_secret_trimmed (void)
{
  static const char psk[] = "                        000102030405060708090A0B0C0D0E0F1011121314151617";
  g_autoptr(GBytes) pasted = g_bytes_new_static (psk, strlen (psk));
  char *text;

  if (skip_without_watch ())
    return;

  text = ca_secret_dup_text (pasted);
  g_strstrip (text);
  g_assert_cmpstr (text, ==, psk + 24);
  secret_watch_start ("0E0F1011121314151617");
  ca_secret_free (text);
  g_assert_cmpuint (secret_watch_stop (), ==, 0);
}

/* Bytes that wipe themselves, as a pasted key or a key file travels. */
static void
test_secret_bytes (void)
{
  GBytes *bytes;
  GBytes *slice;

  if (skip_without_watch ())
    return;

  bytes = ca_secret_bytes_new_take (g_strdup (key_pem), strlen (key_pem));
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), key_pem, strlen (key_pem));
  slice = g_bytes_new_from_bytes (bytes, 0, 10);
  secret_watch_start (marker);
  g_bytes_unref (bytes);
  g_bytes_unref (slice);
  g_assert_cmpuint (secret_watch_stop (), ==, 0);
}

/* A key file read for writing, and one refused for holding binary data. */
static void
test_credential_file (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *binary = NULL;
  g_autoptr(GError) error = NULL;
  char with_nul[sizeof key_pem + 1];
  GBytes *content;

  if (skip_without_watch ())
    return;

  dir = g_dir_make_tmp ("tagsmith-secrets-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "key.pem", NULL);
  binary = g_build_filename (dir, "key.bin", NULL);
  g_assert_true (g_file_set_contents (path, key_pem, -1, &error));
  memcpy (with_nul, key_pem, sizeof key_pem);
  with_nul[0] = '\0';
  g_assert_true (g_file_set_contents (binary, with_nul, sizeof with_nul, &error));

  secret_watch_start (marker);
  content = ts_store_read_credential_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (content), ==, strlen (key_pem));
  g_bytes_unref (content);
  g_assert_null (ts_store_read_credential_file (binary, &error));
  g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT);
  g_assert_cmpuint (secret_watch_stop (), ==, 0);

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_unlink (binary), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* The modem library's copies: the content with its line endings made
 * uniform, which used to be freed as plain bytes. */
static void
test_modem_normalised_key (void)
{
  g_autoptr(GBytes) pasted = g_bytes_new_static (key_pem, strlen (key_pem));

  if (skip_without_watch ())
    return;

  secret_watch_start (marker);
  for (TsLineEndings endings = TS_LINE_ENDINGS_LF; endings <= TS_LINE_ENDINGS_CRLF; endings++)
    {
      g_autoptr(GBytes) sent = ts_nrf91_normalise_content (pasted, endings);

      g_assert_cmpuint (g_bytes_get_size (sent), ==, strlen (key_pem) + (endings == TS_LINE_ENDINGS_CRLF ? 3 : 0));
    }
  g_assert_cmpuint (secret_watch_stop (), ==, 0);
}

/* The %CMNG write command with a long key password: built in one buffer that
 * never grows (a grown GString frees its first block unwiped). */
static void
test_modem_write_command (void)
{
  g_autoptr(GBytes) pasted = g_bytes_new_static (key_pem, strlen (key_pem));
  g_autofree char *password = g_strnfill (200, 'p');
  g_autoptr(TsModemSecretString) wire = NULL;
  char *command;

  if (skip_without_watch ())
    return;

  secret_watch_start (marker);
  command = ts_nrf91_build_write (16842753, TS_CRED_PRIVATE_KEY, pasted, password);
  g_assert_nonnull (strstr (command, marker));
  g_assert_nonnull (strstr (command, password));
  wire = g_string_new (command);
  ts_modem_secret_free (command);
  g_clear_pointer (&wire, ts_modem_secret_string_free);
  g_assert_cmpuint (secret_watch_stop (), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/secrets/watch-sees-plain-free", test_watch_sees_plain_free);
  g_test_add_func ("/secrets/free", test_secret_free);
  g_test_add_func ("/secrets/auto", test_secret_auto);
  g_test_add_func ("/secrets/trimmed", test_secret_trimmed);
  g_test_add_func ("/secrets/bytes", test_secret_bytes);
  g_test_add_func ("/secrets/credential-file", test_credential_file);
  g_test_add_func ("/secrets/modem/normalised-key", test_modem_normalised_key);
  g_test_add_func ("/secrets/modem/write-command", test_modem_write_command);

  return g_test_run ();
}
