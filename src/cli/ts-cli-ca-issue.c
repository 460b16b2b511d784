/* ts-cli-ca-issue.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-cli-ca-issue"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ts-cli-ca.h"
#include "ts-cli-station.h"

/* Room reserved for a device key's PEM: a P-384 PKCS#8 is about 300 bytes. */
#define KEY_FILE_ROOM 4096

/* Creates the key file, with room for the key, before anything is signed: a
 * certificate must never be recorded for a key that then cannot be saved. */
static int
reserve_key_file (const char  *path,
                  GError     **error)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  int rc;

  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("The device key cannot be written to %s (%s), so nothing was issued. Give --key-out "
                     "a new file in a folder you can write."), path, g_strerror (saved));
      return -1;
    }

  rc = posix_fallocate (fd, 0, KEY_FILE_ROOM);
  if (rc != 0 && rc != EOPNOTSUPP && rc != EINVAL)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (rc),
                   _("The device key cannot be written to %s (%s), so nothing was issued. Free some "
                     "space or choose another place for --key-out."), path, g_strerror (rc));
      close (fd);
      g_unlink (path);
      return -1;
    }

  return fd;
}

static gboolean
write_key_file (int          fd,
                const char  *path,
                const char  *pem,
                GError     **error)
{
  gsize length = strlen (pem);
  gsize done = 0;

  while (done < length)
    {
      ssize_t n = write (fd, pem + done, length - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        break;
      done += n;
    }

  if (done < length || ftruncate (fd, length) != 0 || fsync (fd) != 0)
    {
      int saved = errno;

      close (fd);
      g_unlink (path);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), _("Writing %s failed: %s."), path,
                   g_strerror (saved));
      return FALSE;
    }

  return close (fd) == 0;
}

/* A device certificate ends with its CA at the latest; says so when that cut
 * the validity asked for by more than a day. */
static void
note_short_validity (const CaCertificate *cert,
                     int                  days)
{
  gint64 asked = g_get_real_time () / G_USEC_PER_SEC + (gint64) (days > 0 ? days : CA_DEFAULT_DEVICE_DAYS) * 86400;
  g_autofree char *until = NULL;

  if (cert->not_after >= asked - 86400)
    return;
  until = ts_cli_ca_date (cert->not_after);
  fprintf (stderr, _("tagsmith: note: the certificate ends on %s, when the CA “%s” or one above it ends, "
                     "sooner than the %d days asked; a certificate never outlives its issuer.\n"),
           until, cert->authority_name, days > 0 ? days : CA_DEFAULT_DEVICE_DAYS);
}

int
ts_cli_ca_run_issue (TsCli  *cli,
                     int     argc,
                     char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCsr) csr = NULL;
  g_autoptr(CaCertificate) cert = NULL;
  g_autofree char *ca = NULL;
  g_autofree char *imei = NULL;
  g_autofree char *csr_source = NULL;
  g_autofree char *profile = NULL;
  g_autofree char *uuid = NULL;
  g_autofree char *key = NULL;
  g_autofree char *key_out = NULL;
  g_autofree char *station_option = NULL;
  const char *station;
  char *key_pem = NULL;
  gboolean new_key = FALSE;
  gboolean revoke_previous = FALSE;
  CaKeyType key_type = CA_KEY_EC_P256;
  int days = 0;
  int key_fd = -1;
  int exit_code;
  GOptionEntry entries[] = {
    { "ca", 0, 0, G_OPTION_ARG_STRING, &ca, N_("The issuing CA"), "NAME" },
    { "imei", 0, 0, G_OPTION_ARG_STRING, &imei, N_("The device's 15-digit IMEI"), "IMEI" },
    { "csr", 0, 0, G_OPTION_ARG_STRING, &csr_source,
      N_("The CSR: a PEM or DER file, a file holding the modem's %KEYGEN answer, or - for stdin"), "FILE" },
    { "profile", 0, 0, G_OPTION_ARG_STRING, &profile,
      N_("generic (default), lwm2m, nrfcloud, nrfcloud-uuid, azure or aws"), "NAME" },
    { "uuid", 0, 0, G_OPTION_ARG_STRING, &uuid, N_("The modem's UUID, for profiles that name devices by it"), "UUID" },
    { "days", 0, 0, G_OPTION_ARG_INT, &days, N_("Validity in days (default 3650, never past the CA)"), "N" },
    { "revoke-previous", 0, 0, G_OPTION_ARG_NONE, &revoke_previous,
      N_("Revoke the IMEI's earlier valid certificates as superseded"), NULL },
    { "new-key", 0, 0, G_OPTION_ARG_NONE, &new_key, N_("Generate the device key on this computer"), NULL },
    { "key", 0, 0, G_OPTION_ARG_STRING, &key, N_("With --new-key: ec-p256 (default) or ec-p384"), "TYPE" },
    { "key-out", 0, 0, G_OPTION_ARG_FILENAME, &key_out, N_("With --new-key: where to write the key (mode 0600)"), "FILE" },
    TS_CLI_STATION_OPTION_ENTRY (station_option),
    { NULL },
  };

  if (!ts_cli_parse_options (cli, "issue", NULL, _("Issue a device certificate and print it as PEM."), entries,
                             &argc, &argv, &exit_code))
    return exit_code;
  if (argc != 1)
    return ts_cli_usage_error ("issue", _("Unexpected argument “%s”."), argv[1]);
  station = ts_cli_station_name (station_option);
  if ((ca == NULL && station == NULL) || imei == NULL)
    return ts_cli_usage_error ("issue", _("Give the issuing --ca (or this machine's --station) and the "
                                          "device's --imei."));
  if (new_key == (csr_source != NULL))
    return ts_cli_usage_error ("issue", _("Give either --csr FILE or --new-key --key-out FILE."));
  if (new_key && key_out == NULL)
    return ts_cli_usage_error ("issue", _("--new-key needs --key-out FILE for the device key."));
  if (key != NULL && !ca_key_type_from_string (key, &key_type))
    return ts_cli_usage_error ("issue", _("--key %s is not a key type. Use ec-p256 or ec-p384."), key);

  /* Fail on a bad request or an existing key file before unlocking anything. */
  if (csr_source != NULL && (csr = ts_csr_read (csr_source, &error)) == NULL)
    return ts_cli_fail (error);
  if (key_out != NULL && g_file_test (key_out, G_FILE_TEST_EXISTS))
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   _("%s already exists. Choose a new file for the device key."), key_out);
      return ts_cli_fail (error);
    }

  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_WRITE, &error) ||
      !ts_cli_unlock_workspace (cli, &error) ||
      !ts_cli_use_station (cli, station, &ca, &error))
    return ts_cli_fail (error);

  if (new_key && (key_fd = reserve_key_file (key_out, &error)) < 0)
    return ts_cli_fail (error);

  {
    CaIssueRequest request = { ca, imei, profile, uuid, days, revoke_previous };

    if (new_key)
      cert = ts_workspace_issue_with_new_key (cli->workspace, &request, key_type, &key_pem, &error);
    else
      cert = ts_workspace_issue (cli->workspace, &request, csr, &error);
  }
  if (cert == NULL)
    {
      if (key_fd >= 0)
        {
          close (key_fd);
          g_unlink (key_out);
        }
      return ts_cli_fail (error);
    }

  if (key_pem != NULL)
    {
      gboolean written = write_key_file (key_fd, key_out, key_pem, &error);

      ca_secret_free (key_pem);
      if (!written)
        {
          g_prefix_error (&error, _("The certificate %s was recorded, but its key was lost: "), cert->serial);
          return ts_cli_fail (error);
        }
    }

  note_short_validity (cert, days);
  fputs (cert->pem, stdout);

  return TS_CLI_EXIT_OK;
}

static char *
pem_path (const char *out_dir,
          const char *imei)
{
  g_autofree char *name = g_strconcat (imei, ".pem", NULL);

  return g_build_filename (out_dir, name, NULL);
}

/* Whether @path holds exactly @pem. */
static gboolean
file_holds (const char *path,
            const char *pem)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  return g_file_get_contents (path, &contents, &length, NULL) && length == strlen (pem) &&
         memcmp (contents, pem, length) == 0;
}

/* An IMEI.pem already in the folder is never replaced: its row is refused
 * before anything is signed, unless the file holds the certificate a previous
 * run issued for the same key, which the batch then reports again. */
static void
refuse_taken_files (TsWorkspace           *workspace,
                    const CaIssueRequest  *request,
                    TsIssueBatch          *batch,
                    const char            *out_dir)
{
  for (guint i = 0; i < batch->n; i++)
    {
      CaBatchItem *item = &batch->items[i];
      g_autofree char *path = NULL;
      g_autoptr(CaCertificate) issued = NULL;
      g_autoptr(GError) local_error = NULL;

      if (item->error != NULL || item->csr == NULL)
        continue;
      path = pem_path (out_dir, item->imei);
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        continue;

      issued = ts_workspace_find_issued (workspace, request, item->imei, item->csr, &local_error);
      if (issued != NULL && file_holds (path, issued->pem))
        continue;
      if (local_error != NULL)
        item->error = g_steal_pointer (&local_error);
      else
        g_set_error (&item->error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                     _("%s already exists and does not hold this device's certificate, so nothing was "
                       "issued for this row. Move the file away, or give another --out-dir."), path);
    }
}

/* Writes a recorded certificate to @path; on failure the row's error says the
 * certificate is recorded all the same, and how to get its file. */
static void
write_certificate (CaBatchItem *item,
                   const char  *path)
{
  const char *pem = item->certificate->pem;
  g_autoptr(GError) write_error = NULL;

  if (item->existing && file_holds (path, pem))
    return;
  if (ts_output_write_new_file (path, pem, strlen (pem), 0644, FALSE, &write_error))
    return;

  g_set_error (&item->error, G_IO_ERROR, G_IO_ERROR_FAILED,
               _("The certificate %s is recorded in the ledger, but its file was not written: %s Run the "
                 "same batch again to write it."), item->certificate->serial, write_error->message);
}

int
ts_cli_ca_run_issue_batch (TsCli  *cli,
                           int     argc,
                           char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_auto(TsIssueBatch) batch = { 0 };
  g_autofree char *ca = NULL;
  g_autofree char *input = NULL;
  g_autofree char *out_dir = NULL;
  g_autofree char *profile = NULL;
  g_autofree char *station_option = NULL;
  const char *station;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  CaIssueRequest request;
  int days = 0;
  guint issued = 0;
  guint existing = 0;
  guint failed = 0;
  gboolean noted = FALSE;
  int exit_code;
  GOptionEntry entries[] = {
    { "ca", 0, 0, G_OPTION_ARG_STRING, &ca, N_("The issuing CA"), "NAME" },
    { "input", 0, 0, G_OPTION_ARG_FILENAME, &input, N_("CSV rows imei,csr (csr: a file or a %KEYGEN answer)"), "FILE" },
    { "out-dir", 0, 0, G_OPTION_ARG_FILENAME, &out_dir, N_("Where to write IMEI.pem for each certificate"), "DIR" },
    { "profile", 0, 0, G_OPTION_ARG_STRING, &profile, N_("The profile for every row (default generic)"), "NAME" },
    { "days", 0, 0, G_OPTION_ARG_INT, &days, N_("Validity in days (default 3650)"), "N" },
    TS_CLI_STATION_OPTION_ENTRY (station_option),
    { NULL },
  };

  if (!ts_cli_parse_options (cli, "issue-batch", NULL,
                             _("Issue a certificate for every row of a CSV with one unlock. Each is recorded in "
                               "the ledger before its PEM is written."), entries, &argc, &argv, &exit_code))
    return exit_code;
  station = ts_cli_station_name (station_option);
  if ((ca == NULL && station == NULL) || input == NULL || out_dir == NULL)
    return ts_cli_usage_error ("issue-batch", _("Give the --ca (or this machine's --station), the --input CSV "
                                                "and the --out-dir."));

  if (!ts_issue_batch_read (input, &batch, &error))
    return ts_cli_fail (error);
  if (g_mkdir_with_parents (out_dir, 0700) != 0)
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The folder %s cannot be created: %s."), out_dir,
                   g_strerror (errno));
      return ts_cli_fail (error);
    }

  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_WRITE, &error) ||
      !ts_cli_unlock_workspace (cli, &error) ||
      !ts_cli_use_station (cli, station, &ca, &error))
    return ts_cli_fail (error);
  request = (CaIssueRequest) { ca, NULL, profile, NULL, days, FALSE };

  refuse_taken_files (cli->workspace, &request, &batch, out_dir);
  ts_workspace_issue_batch (cli->workspace, &request, &batch, &error);

  json_builder_begin_array (builder);
  for (guint i = 0; i < batch.n; i++)
    {
      CaBatchItem *item = &batch.items[i];
      g_autofree char *path = pem_path (out_dir, item->imei);

      if (item->certificate != NULL)
        write_certificate (item, path);
      if (item->certificate != NULL && !item->existing && !noted)
        {
          note_short_validity (item->certificate, days);
          noted = TRUE;
        }

      json_builder_begin_object (builder);
      ts_json_add_int (builder, "line", batch.lines[i]);
      ts_json_add_string (builder, "imei", item->imei);
      ts_json_add_string (builder, "serial", item->certificate != NULL ? item->certificate->serial : NULL);
      ts_json_add_string (builder, "file", item->certificate != NULL && item->error == NULL ? path : NULL);
      ts_json_add_boolean (builder, "existing", item->existing);
      ts_json_add_string (builder, "error", item->error != NULL ? item->error->message : NULL);
      json_builder_end_object (builder);

      if (item->error != NULL)
        {
          failed++;
          if (!cli->json)
            fprintf (stderr, _("tagsmith: line %u (%s): %s\n"), batch.lines[i], item->imei, item->error->message);
        }
      else if (item->existing)
        existing++;
      else
        issued++;
    }
  json_builder_end_array (builder);

  if (cli->json)
    ts_cli_ca_print_builder (builder);
  else
    printf (_("Issued %u certificates into %s; %u issued before were found again; %u rows failed.\n"),
            issued, out_dir, existing, failed);
  if (error != NULL)
    return ts_cli_fail (error);

  return failed == 0 ? TS_CLI_EXIT_OK : TS_CLI_EXIT_FAILED;
}
