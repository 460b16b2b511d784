/* test-credential-set.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "test-ca-util.h"
#include "ts-credential-set.h"
#include "ts-modem-error.h"
#include "ts-workspace-modem.h"

#define SEC_TAG 16842753
#define PSK     "000102030405060708090A0B0C0D0E0F"

static GBytes *
text_bytes (const char *text)
{
  return g_bytes_new (text, strlen (text));
}

/* The services people know, each at the sec_tag its firmware reads by default. */
static void
test_presets (void)
{
  guint n = 0;
  const TsCredentialPreset *presets = ts_credential_presets (&n);
  const TsCredentialPreset *cloud = ts_credential_preset_for_tag (16842753);
  const TsCredentialPreset *lwm2m = ts_credential_preset_for_tag (35724861);

  g_assert_cmpuint (n, >=, 4);
  g_assert_nonnull (cloud);
  g_assert_cmpstr (cloud->name, ==, "nRF Cloud");
  g_assert_false (cloud->psk);
  g_assert_nonnull (lwm2m);
  g_assert_true (lwm2m->psk);
  g_assert_null (ts_credential_preset_for_tag (42));
  g_assert_nonnull (strstr (cloud->hint, "CONFIG_NRF_CLOUD_SEC_TAG"));
  g_assert_nonnull (strstr (lwm2m->hint, "CONFIG_LWM2M_CLIENT_UTILS_SERVER_TLS_TAG"));
  g_assert_nonnull (strstr (ts_credential_preset_for_tag (201)->hint, "CONFIG_MQTT_HELPER_SEC_TAG"));
  g_assert_nonnull (strstr (ts_credential_preset_for_tag (10)->hint, "CONFIG_AZURE_IOT_HUB_SEC_TAG"));
  g_assert_nonnull (strstr (ts_credential_preset_for_tag (35724862)->hint,
                            "CONFIG_LWM2M_CLIENT_UTILS_BOOTSTRAP_TLS_TAG"));
  for (guint i = 0; i < n; i++)
    {
      /* Every preset is a user sec_tag (PROTOCOL.md §6.3), and no two share one. */
      g_assert_cmpuint (presets[i].sec_tag, <=, 2147483647);
      g_assert_true (ts_credential_preset_for_tag (presets[i].sec_tag) == &presets[i]);
      /* The hint names the firmware's Kconfig option whose default the preset mirrors. */
      g_assert_true (g_str_has_prefix (presets[i].hint, "CONFIG_"));
    }
}

static void
assert_refused (TsCredentialSet *set,
                const char      *says)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (ts_credential_set_check (set, &error));
  g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT);
  if (strstr (error->message, says) == NULL)
    g_error ("“%s” does not say “%s”", error->message, says);
}

/* Every part is checked before anything is sent, and the parts together. */
static void
test_check (void)
{
  g_autoptr(TsCredentialSet) set = ts_credential_set_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *cert = NULL, *key = NULL, *other_cert = NULL, *other_key = NULL;

  make_self_signed ("kit", &cert, &key);
  make_self_signed ("another kit", &other_cert, &other_key);

  assert_refused (set, "Nothing to write");

  set->parts[0] = text_bytes ("not a certificate");
  assert_refused (set, "CA certificate: ");
  g_clear_pointer (&set->parts[0], g_bytes_unref);

  set->parts[1] = text_bytes (cert);
  set->parts[2] = text_bytes (other_key);
  assert_refused (set, "does not belong to this private key");

  g_clear_pointer (&set->parts[2], g_bytes_unref);
  set->parts[2] = text_bytes (key);
  set->parts[0] = text_bytes (other_cert);
  g_assert_true (ts_credential_set_check (set, &error));
  g_assert_no_error (error);

  set->parts[3] = text_bytes (PSK);
  assert_refused (set, "give both");
  set->parts[4] = text_bytes ("kit-1");
  g_assert_true (ts_credential_set_check (set, &error));
  g_assert_no_error (error);

  g_clear_pointer (&set->parts[3], g_bytes_unref);
  set->parts[3] = text_bytes ("not hex");
  assert_refused (set, "PSK: ");
}

static void
die_with_test (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
set_up (Fixture       *fixture,
        gconstpointer  user_data)
{
  fixture_set_up (fixture, user_data);
  g_clear_object (&fixture->ledger);
  g_unlink (fixture->path);
}

static GArray *
listing (TsWorkspace  *workspace,
         TsDeviceLink *link)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TsStoreSurvey) survey = ts_workspace_survey_store (workspace, link, TS_SURVEY_NONE,
                                                               NULL, NULL, &error);

  g_assert_no_error (error);
  return g_array_ref (survey->credentials);
}

static guint
types_at (GArray  *credentials,
          guint32  sec_tag)
{
  guint mask = 0;

  for (guint i = 0; i < credentials->len; i++)
    {
      const TsCredential *c = &g_array_index (credentials, TsCredential, i);

      if (c->sec_tag == sec_tag)
        mask |= 1u << c->type;
    }
  return mask;
}

/* The set lands whole, each part recorded; a refused set sends nothing. */
static void
test_write (Fixture       *fixture,
            gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) emulator = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(TsWorkspace) workspace = ts_workspace_new (fixture->path);
  g_autoptr(TsDeviceLink) link = NULL;
  g_autoptr(TsCredentialSet) set = ts_credential_set_new ();
  g_autoptr(TsCredentialSet) mismatched = ts_credential_set_new ();
  g_autoptr(GArray) before = NULL;
  g_autoptr(GArray) after = NULL;
  g_autofree char *port = NULL;
  g_autofree char *cert = NULL, *key = NULL, *other_cert = NULL, *other_key = NULL;
  guint written = 0;

  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", fixture->dir, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
  emulator = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("TAGSMITH_EMULATOR"),
                                          "--no-pacing", "--imei", "352656100000051",
                                          "--cfun", "1", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (emulator));
  port = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);

  g_assert_true (ts_workspace_open (workspace, TS_WORKSPACE_OPEN_READ_WRITE, &error));
  g_assert_true (ts_workspace_unlock (workspace, PASS, NULL, &error));
  g_assert_no_error (error);
  link = ts_workspace_open_link (workspace, port, "test", TS_PORT_LEASE_HELD, NULL, &error);
  g_assert_no_error (error);

  make_self_signed ("kit", &cert, &key);
  make_self_signed ("server", &other_cert, &other_key);

  /* A mismatched pair: refused before a byte is sent. */
  mismatched->parts[0] = text_bytes (other_cert);
  mismatched->parts[1] = text_bytes (cert);
  mismatched->parts[2] = text_bytes (other_key);
  before = listing (workspace, link);
  g_assert_false (ts_workspace_write_credential_set (workspace, link, SEC_TAG, mismatched,
                                                     TS_MODEM_WRITE_NONE, NULL, NULL, &written,
                                                     NULL, NULL, NULL, &error));
  g_assert_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_cmpuint (written, ==, 0);
  g_assert_cmpuint (types_at (before, SEC_TAG), ==, 0);

  set->parts[0] = text_bytes (other_cert);
  set->parts[1] = text_bytes (cert);
  set->parts[2] = text_bytes (key);
  g_assert_true (ts_workspace_write_credential_set (workspace, link, SEC_TAG, set, TS_MODEM_WRITE_NONE,
                                                    NULL, NULL, &written, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (written, ==, 0x7);
  after = listing (workspace, link);
  g_assert_cmpuint (types_at (after, SEC_TAG), ==, 0x7);

  g_clear_pointer (&link, ts_device_link_unref);
  g_subprocess_force_exit (emulator);
  g_subprocess_wait (emulator, NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/credential-set/presets", test_presets);
  g_test_add_func ("/credential-set/check", test_check);
  g_test_add ("/credential-set/write", Fixture, NULL, set_up, test_write, fixture_tear_down);

  return g_test_run ();
}
