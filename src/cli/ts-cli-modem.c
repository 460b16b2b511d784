/* ts-cli-modem.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-cli-modem"

#include "config.h"

#include <glib/gi18n.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "ca.h"
#include "ts-cli.h"
#include "ts-cli-ca.h"
#include "ts-cli-link.h"
#include "ts-cli-verbs.h"
#include "ts-at-reader.h"
#include "ts-badge.h"
#include "ts-store.h"
#include "ts-workspace-modem.h"

/* Options of the verbs that talk to a modem: the port ones every verb has, the
 * others where the verb lists their entry. */
typedef struct
{
  char             *port;
  TsCliLinkOptions  link;
  char             *sec_tag;
  char             *type;
  gboolean          stay_offline;
} ModemOptions;

#define PORT_OPTION_ENTRIES(opts) \
  { "port", 'p', 0, G_OPTION_ARG_STRING, &(opts).port, \
    N_("The modem's AT port (see `tagsmith devices`) or any tty/pty path"), N_("PATH") }, \
  TS_CLI_LINK_OPTION_ENTRIES ((opts).link)

#define SEC_TAG_ENTRY(opts, help) \
  { "sec-tag", 0, 0, G_OPTION_ARG_STRING, &(opts).sec_tag, help, N_("N") }

#define TYPE_ENTRY(opts, help) \
  { "type", 0, 0, G_OPTION_ARG_STRING, &(opts).type, help, N_("TYPE") }

#define STAY_OFFLINE_ENTRY(opts) \
  { "stay-offline", 0, 0, G_OPTION_ARG_NONE, &(opts).stay_offline, \
    N_("Leave the modem offline (+CFUN=4) afterwards"), NULL }

static void
modem_options_clear (ModemOptions *opts)
{
  g_clear_pointer (&opts->port, g_free);
  g_clear_pointer (&opts->sec_tag, g_free);
  g_clear_pointer (&opts->type, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ModemOptions, modem_options_clear)

/* Opens the modem named by --port; returns NULL after printing why. */
static TsDeviceLink *
open_modem (TsCli              *cli,
            const char         *verb,
            const ModemOptions *opts,
            int                *status)
{
  return ts_cli_link_open (cli, verb, opts->port, &opts->link, status);
}

/* A required option: a usage error when it is missing (@missing) or its parser
 * refused it (@error); otherwise TRUE. */
static gboolean
option_parsed (const char    *verb,
               const char    *text,
               const char    *missing,
               gboolean       parsed,
               const GError  *error,
               int           *status)
{
  if (parsed)
    return TRUE;

  *status = ts_cli_usage_error (verb, "%s", text == NULL ? missing : error->message);
  return FALSE;
}

static gboolean
parse_sec_tag_option (const char *verb,
                      const char *text,
                      guint32    *sec_tag,
                      int        *status)
{
  g_autoptr(GError) error = NULL;
  gboolean parsed = text != NULL && ts_sec_tag_parse (text, sec_tag, &error);

  return option_parsed (verb, text, _("--sec-tag is required."), parsed, error, status);
}

static gboolean
parse_type_option (const char *verb,
                   const char *text,
                   guint      *type,
                   int        *status)
{
  g_autoptr(GError) error = NULL;
  gboolean parsed = text != NULL && ts_cred_type_parse (text, type, &error);

  return option_parsed (verb, text, _("--type is required (ca, cert, key, psk or psk-identity)."),
                        parsed, error, status);
}

/* Says loudly when a change goes to one of Nordic's decryptable debug tags (§6.3). */
static void
warn_about_sec_tag (guint32 sec_tag)
{
  if (ts_sec_tag_classify (sec_tag) == TS_SEC_TAG_DEBUG)
    fprintf (stderr, _("tagsmith: WARNING: sec_tag %u is one of Nordic's debug tags "
                       "(2147483648–2147483667). TLS sessions using it can be decrypted by "
                       "modem trace tools. Use it for development only, never in products.\n"),
             sec_tag);
}

/* For verbs that change the store: refuses a modem-owned sec_tag, warns about a
 * debug one, then opens the modem. */
static TsDeviceLink *
open_modem_for_change (TsCli              *cli,
                       const char         *verb,
                       const ModemOptions *opts,
                       guint32             sec_tag,
                       int                *status)
{
  g_autoptr(GError) error = NULL;

  if (!ts_sec_tag_check_writable (sec_tag, &error))
    {
      *status = ts_cli_fail (error);
      return NULL;
    }

  warn_about_sec_tag (sec_tag);
  return open_modem (cli, verb, opts, status);
}

static TsModemWriteFlags
write_flags (gboolean stay_offline)
{
  return stay_offline ? TS_MODEM_WRITE_STAY_OFFLINE : TS_MODEM_WRITE_NONE;
}

static gboolean
write_file (const char  *path,
            const char  *data,
            gsize        len,
            GError     **error)
{
  return g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

static const char *
cfun_describe (int mode)
{
  switch (mode)
    {
    case 0:  return _("minimum functionality");
    case 1:  return _("normal (LTE on)");
    case 2:  return _("receive only");
    case 4:  return _("offline");
    case 20: return _("LTE off, GNSS unchanged");
    case 21: return _("LTE on, GNSS unchanged");
    case 30: return _("GNSS off, LTE unchanged");
    case 31: return _("GNSS on, LTE unchanged");
    case 40: return _("SIM off");
    case 41: return _("SIM on");
    case 44: return _("offline, SIM on");
    default: return _("unknown");
    }
}

/* devices */

static int
run_devices (TsCli  *cli,
             int     argc,
             char  **argv)
{
  g_autoptr(GPtrArray) ports = NULL;
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = { { NULL } };
  int status;

  if (!ts_cli_parse_options (cli, "devices", NULL,
                             _("Lists serial ports with nRF91 kits (their AT port only), other "
                               "serial devices, and running tagsmith-emulator instances."),
                             entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return ts_cli_usage_error ("devices", _("Unexpected argument “%s”."), argv[1]);

  if (!(ports = ts_workspace_discover (cli->workspace, &error)))
    return ts_cli_fail (error);

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_array (builder);
      for (guint i = 0; i < ports->len; i++)
        {
          const TsPortInfo *port = ports->pdata[i];

          json_builder_begin_object (builder);
          ts_json_add_string (builder, "path", port->path);
          ts_json_add_string (builder, "kind", ts_port_kind_to_string (port->kind));
          ts_json_add_string (builder, "board", port->board);
          ts_json_add_string (builder, "description", port->description);
          ts_json_add_string (builder, "serial", port->serial);
          ts_json_add_int (builder, "usb_vid", port->usb_vid);
          ts_json_add_int (builder, "usb_pid", port->usb_pid);
          ts_json_add_int (builder, "interface", port->interface);
          if (port->kind == TS_PORT_KIND_EMULATOR)
            {
              ts_json_add_string (builder, "profile", port->profile);
              ts_json_add_string (builder, "imei", port->imei);
              ts_json_add_string (builder, "model", port->model);
              ts_json_add_int (builder, "pid", port->pid);
            }
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      ts_cli_ca_print_builder (builder);
      return TS_CLI_EXIT_OK;
    }

  if (ports->len == 0)
    {
      printf (_("No serial ports found. Plug the kit in (and check `dmesg` for its tty), or "
                "give a tty path with --port.\n"));
      return TS_CLI_EXIT_OK;
    }

  printf ("%-28s %-9s %-20s %s\n", _("PORT"), _("KIND"), _("BOARD"), _("DETAILS"));
  for (guint i = 0; i < ports->len; i++)
    {
      const TsPortInfo *port = ports->pdata[i];
      g_autofree char *details = NULL;

      if (port->kind == TS_PORT_KIND_EMULATOR)
        details = g_strdup_printf (_("profile %s, IMEI %s, pid %d"),
                                   port->profile ? port->profile : "?",
                                   port->imei ? port->imei : "?", (int) port->pid);
      else if (port->usb_vid != 0)
        details = g_strdup_printf (_("USB %04x:%04x, serial %s, interface %d%s%s"),
                                   port->usb_vid, port->usb_pid,
                                   port->serial ? port->serial : "-", port->interface,
                                   port->description ? ", " : "",
                                   port->description ? port->description : "");
      else
        details = g_strdup (port->description ? port->description : "");

      printf ("%-28s %-9s %-20s %s\n", port->path, ts_port_kind_to_string (port->kind),
              port->board ? port->board : _("unknown"), details);
    }

  return TS_CLI_EXIT_OK;
}

/* info */

static int
run_info (TsCli  *cli,
          int     argc,
          char  **argv)
{
  g_auto(ModemOptions) opts = { 0 };
  GOptionEntry entries[] = { PORT_OPTION_ENTRIES (opts), { NULL } };
  g_autoptr(TsDeviceLink) modem = NULL;
  g_autoptr(TsModemIdentity) id = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;
  g_autofree char *manufacturer = NULL, *model = NULL, *firmware = NULL;
  g_autofree char *hardware = NULL, *uuid = NULL;
  int status;

  if (!ts_cli_parse_options (cli, "info", NULL,
                             _("Shows a modem's IMEI, model, firmware, hardware version, device "
                               "UUID and functional mode."),
                             entries, &argc, &argv, &status))
    return status;
  if (!(modem = open_modem (cli, "info", &opts, &status)))
    return status;
  if (!(id = ts_workspace_identify (cli->workspace, modem, NULL, NULL, &error)))
    return ts_cli_fail (error);

  if (id->firmware_version_known)
    version = g_strdup_printf ("%u.%u.%u", id->firmware_version.major,
                               id->firmware_version.minor, id->firmware_version.patch);

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      ts_json_add_string (builder, "port", ts_device_link_get_path (modem));
      ts_json_add_string (builder, "imei", id->imei);
      ts_json_add_string (builder, "manufacturer", id->manufacturer);
      ts_json_add_string (builder, "model", id->model);
      ts_json_add_string (builder, "firmware", id->firmware);
      ts_json_add_string (builder, "firmware_version", version);
      ts_json_add_string (builder, "hardware_version", id->hardware_version);
      ts_json_add_string (builder, "device_uuid", id->device_uuid);
      ts_json_add_int (builder, "functional_mode", id->functional_mode);
      ts_json_add_string (builder, "at_mode",
                          ts_device_link_get_mode (modem) == TS_AT_MODE_SHELL ? "shell" : "line");
      json_builder_end_object (builder);
      ts_cli_ca_print_builder (builder);
      return TS_CLI_EXIT_OK;
    }

  /* Everything but the port and the checked IMEI is text from the modem. */
  manufacturer = ts_at_display_text (id->manufacturer);
  model = ts_at_display_text (id->model);
  firmware = ts_at_display_text (id->firmware);
  hardware = id->hardware_version ? ts_at_display_text (id->hardware_version) : NULL;
  uuid = id->device_uuid ? ts_at_display_text (id->device_uuid) : NULL;

  printf (_("Port:             %s (%s)\n"), ts_device_link_get_path (modem),
          ts_device_link_get_mode (modem) == TS_AT_MODE_SHELL ? _("Zephyr shell") : _("AT host"));
  printf (_("IMEI:             %s\n"), id->imei);
  printf (_("Manufacturer:     %s\n"), manufacturer);
  printf (_("Model:            %s\n"), model);
  printf (_("Modem firmware:   %s%s%s%s\n"), firmware, version ? " (" : "",
          version ? version : "", version ? ")" : "");
  printf (_("Hardware version: %s\n"), hardware ? hardware : _("unknown"));
  printf (_("Device UUID:      %s\n"), uuid ? uuid : _("unknown"));
  printf (_("Functional mode:  %d (%s)\n"), id->functional_mode,
          cfun_describe (id->functional_mode));

  return TS_CLI_EXIT_OK;
}

/* What settling the ledger against the modem found, for the operator. */
static void
print_notices (GPtrArray *notices)
{
  for (guint i = 0; i < notices->len; i++)
    fprintf (stderr, "tagsmith: %s\n", (const char *) g_ptr_array_index (notices, i));
}

/* creds list */

/* The ledger is only consulted when it exists: listing must never create one.
 * With --pass it is unlocked, so what the store shows is recorded; without, it
 * is only compared. */
static gboolean
open_workspace_if_present (TsCli   *cli,
                           GError **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!ts_workspace_ledger_may_exist (cli->db_path))
    return TRUE;

  if (!ts_cli_open_workspace (cli, cli->pass_spec != NULL ? TS_WORKSPACE_OPEN_READ_WRITE
                                                          : TS_WORKSPACE_OPEN_READ_ONLY,
                              &local_error))
    {
      fprintf (stderr, _("tagsmith: WARNING: could not open the ledger, so no entry is "
                         "identified: %s\n"), local_error->message);
      return TRUE;
    }

  return cli->pass_spec == NULL || ts_cli_unlock_workspace (cli, error);
}

static char *
describe_match (const CaShaMatch *match,
                guint32           sec_tag)
{
  g_autofree char *expiry = NULL;
  const char *tag_note = "";

  if (ts_sec_tag_classify (sec_tag) == TS_SEC_TAG_DEBUG)
    tag_note = _(" [debug tag: decryptable]");
  else if (ts_sec_tag_classify (sec_tag) == TS_SEC_TAG_MODEM)
    tag_note = _(" [modem-owned]");

  if (match == NULL || match->kind == CA_SHA_UNKNOWN)
    return g_strdup_printf ("%s%s", _("unknown"), tag_note);

  expiry = ca_time_to_iso8601 (match->not_after);
  if (match->kind == CA_SHA_CA_CERTIFICATE)
    return g_strdup_printf (_("CA “%s” (ours), expires %s%s"), match->authority_name,
                            expiry, tag_note);

  return g_strdup_printf (_("certificate serial %s for IMEI %s from “%s”, expires %s, %s%s"),
                          match->serial ? match->serial : "?", match->imei ? match->imei : "?",
                          match->authority_name ? match->authority_name : "?", expiry,
                          ts_badge_for_certificate (match->status, match->not_after).name, tag_note);
}

static void
add_match_json (JsonBuilder      *builder,
                const CaShaMatch *match)
{
  g_autofree char *expiry = NULL;

  json_builder_set_member_name (builder, "known");
  if (match == NULL || match->kind == CA_SHA_UNKNOWN)
    {
      json_builder_add_null_value (builder);
      return;
    }

  expiry = ca_time_to_iso8601 (match->not_after);
  json_builder_begin_object (builder);
  ts_json_add_string (builder, "kind",
                      match->kind == CA_SHA_CA_CERTIFICATE ? "ca" : "device-certificate");
  ts_json_add_string (builder, "serial", match->serial);
  ts_json_add_string (builder, "imei", match->imei);
  ts_json_add_string (builder, "authority", match->authority_name);
  ts_json_add_string (builder, "not_after", expiry);
  ts_json_add_string (builder, "status", ca_cert_status_to_string (match->status));
  json_builder_end_object (builder);
}

static int
run_creds_list (TsCli  *cli,
                int     argc,
                char  **argv)
{
  g_auto(ModemOptions) opts = { 0 };
  GOptionEntry entries[] = {
    PORT_OPTION_ENTRIES (opts),
    SEC_TAG_ENTRY (opts, N_("Only this sec_tag")),
    { NULL }
  };
  g_autoptr(TsDeviceLink) modem = NULL;
  g_autoptr(TsStoreSurvey) survey = NULL;
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) list = g_array_new (FALSE, FALSE, sizeof (TsCredential));
  g_autoptr(GPtrArray) matches = g_ptr_array_new ();
  guint32 sec_tag = 0;
  int status;

  if (!ts_cli_parse_options (cli, "creds list", NULL,
                             _("Lists the modem's credentials with their SHA-256, and says what "
                               "each is when the ledger knows it."),
                             entries, &argc, &argv, &status))
    return status;
  if (opts.sec_tag != NULL && !parse_sec_tag_option ("creds list", opts.sec_tag, &sec_tag, &status))
    return status;
  if (!(modem = open_modem (cli, "creds list", &opts, &status)))
    return status;
  if (!open_workspace_if_present (cli, &error))
    return ts_cli_fail (error);

  survey = ts_workspace_survey_store (cli->workspace, modem, TS_SURVEY_NONE, notices, NULL, &error);
  print_notices (notices);
  if (survey == NULL)
    return ts_cli_fail (error);

  for (guint i = 0; i < survey->credentials->len; i++)
    {
      const TsCredential *c = &g_array_index (survey->credentials, TsCredential, i);

      if (opts.sec_tag != NULL && c->sec_tag != sec_tag)
        continue;
      g_array_append_vals (list, c, 1);
      g_ptr_array_add (matches, g_ptr_array_index (survey->matches, i));
    }

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_array (builder);
      for (guint i = 0; i < list->len; i++)
        {
          const TsCredential *c = &g_array_index (list, TsCredential, i);
          const CaShaMatch *match = g_ptr_array_index (matches, i);
          TsSecTagClass tag_class = ts_sec_tag_classify (c->sec_tag);

          json_builder_begin_object (builder);
          ts_json_add_int (builder, "sec_tag", c->sec_tag);
          ts_json_add_int (builder, "type", c->type);
          ts_json_add_string (builder, "type_name", ts_cred_type_to_string (c->type));
          ts_json_add_string (builder, "sha256", c->sha256[0] != '\0' ? c->sha256 : NULL);
          ts_json_add_string (builder, "sec_tag_class",
                              tag_class == TS_SEC_TAG_USER ? "user"
                              : tag_class == TS_SEC_TAG_DEBUG ? "debug" : "modem");
          add_match_json (builder, match);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      ts_cli_ca_print_builder (builder);
      return TS_CLI_EXIT_OK;
    }

  if (list->len == 0)
    {
      printf (opts.sec_tag != NULL ? _("sec_tag %u holds no credentials.\n")
                                   : _("The modem holds no credentials.\n"), sec_tag);
      return TS_CLI_EXIT_OK;
    }

  printf ("%-10s %-14s %-64s %s\n", _("SEC_TAG"), _("TYPE"), _("SHA-256"), _("WHAT"));
  for (guint i = 0; i < list->len; i++)
    {
      const TsCredential *c = &g_array_index (list, TsCredential, i);
      const CaShaMatch *match = g_ptr_array_index (matches, i);
      g_autofree char *what = describe_match (match, c->sec_tag);

      printf ("%-10u %-14s %-64s %s\n", c->sec_tag, ts_cred_type_to_string (c->type),
              c->sha256[0] != '\0' ? c->sha256 : "-", what);
    }

  return TS_CLI_EXIT_OK;
}

/* creds read */

static int
run_creds_read (TsCli  *cli,
                int     argc,
                char  **argv)
{
  g_auto(ModemOptions) opts = { 0 };
  g_autofree char *out = NULL;
  GOptionEntry entries[] = {
    PORT_OPTION_ENTRIES (opts),
    SEC_TAG_ENTRY (opts, N_("The sec_tag")),
    TYPE_ENTRY (opts, N_("ca, cert or psk-identity")),
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Write to FILE instead of stdout"),
      N_("FILE") },
    { NULL }
  };
  g_autoptr(TsDeviceLink) modem = NULL;
  g_autoptr(GBytes) content = NULL;
  g_autoptr(GError) error = NULL;
  guint32 sec_tag;
  guint type;
  int status;

  if (!ts_cli_parse_options (cli, "creds read", NULL,
                             _("Reads a certificate or PSK identity back from the modem. Private "
                               "keys and PSKs cannot be read."),
                             entries, &argc, &argv, &status))
    return status;
  if (!parse_sec_tag_option ("creds read", opts.sec_tag, &sec_tag, &status) ||
      !parse_type_option ("creds read", opts.type, &type, &status))
    return status;
  if (type == TS_CRED_PRIVATE_KEY || type == TS_CRED_PSK)
    return ts_cli_usage_error ("creds read", _("The modem never reveals private keys or PSKs; "
                                               "compare their SHA-256 with `creds list`."));
  if (!(modem = open_modem (cli, "creds read", &opts, &status)))
    return status;

  if (!(content = ts_workspace_read_credential (cli->workspace, modem, sec_tag, type, NULL, &error)))
    return ts_cli_fail (error);

  if (out != NULL)
    {
      if (!write_file (out, g_bytes_get_data (content, NULL), g_bytes_get_size (content), &error))
        return ts_cli_fail (error);
    }
  else
    fwrite (g_bytes_get_data (content, NULL), 1, g_bytes_get_size (content), stdout);

  return TS_CLI_EXIT_OK;
}

/* creds write */

static int
run_creds_write (TsCli  *cli,
                 int     argc,
                 char  **argv)
{
  g_auto(ModemOptions) opts = { 0 };
  g_autofree char *path = NULL;
  g_autofree char *endings_text = NULL;
  g_auto(CaSecret) key_password = NULL;
  GOptionEntry entries[] = {
    PORT_OPTION_ENTRIES (opts),
    SEC_TAG_ENTRY (opts, N_("The sec_tag")),
    TYPE_ENTRY (opts, N_("ca, cert, key, psk, psk-identity or a number")),
    { "file", 'f', 0, G_OPTION_ARG_FILENAME, &path, N_("The PEM (or PSK text) file"), N_("FILE") },
    { "key-password", 0, 0, G_OPTION_ARG_STRING, &key_password,
      N_("Password of an encrypted PKCS#8 private key"), N_("PW") },
    { "line-endings", 0, 0, G_OPTION_ARG_STRING, &endings_text,
      N_("lf (default), crlf or keep: how line breaks are sent, which decides the SHA-256"),
      N_("MODE") },
    STAY_OFFLINE_ENTRY (opts),
    { NULL }
  };
  g_autoptr(TsDeviceLink) modem = NULL;
  g_autoptr(GBytes) content = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sha256 = NULL;
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(TsProvisionDefaults) defaults = ts_workspace_dup_provision_defaults (cli->workspace);
  gboolean ok;
  guint32 sec_tag;
  guint type;
  int status;

  if (!ts_cli_parse_options (cli, "creds write", NULL,
                             _("Writes one credential, switching the modem offline around it, and "
                               "succeeds only when the modem lists the SHA-256 of exactly what "
                               "was sent. The ledger records the intent before and the outcome "
                               "after; no CA is needed, but the workspace passphrase is."),
                             entries, &argc, &argv, &status))
    return status;
  if (!parse_sec_tag_option ("creds write", opts.sec_tag, &sec_tag, &status) ||
      !parse_type_option ("creds write", opts.type, &type, &status))
    return status;
  if (path == NULL)
    return ts_cli_usage_error ("creds write", _("--file is required."));
  if (endings_text != NULL && !ts_line_endings_parse (endings_text, &defaults->endings, &error))
    return ts_cli_usage_error ("creds write", "%s", error->message);
  ts_workspace_set_provision_defaults (cli->workspace, defaults);
  if (key_password != NULL && type != TS_CRED_PRIVATE_KEY)
    return ts_cli_usage_error ("creds write", _("--key-password only applies to --type key."));
  /* A file that is not what --type says (or for a tag that is the modem's) is
   * refused before the ledger is opened (or created) and the modem touched. */
  if (!ts_sec_tag_check_writable (sec_tag, &error))
    return ts_cli_fail (error);
  if (!(content = ts_store_read_credential_file (path, &error)) ||
      !ts_store_check_credential (type, content, &error))
    {
      g_prefix_error (&error, _("%s cannot be written: "), path);
      return ts_cli_fail (error);
    }
  /* Recorded before the modem is touched, and every record needs the workspace
   * passphrase (the first one given sets it, as for a CA). */
  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_WRITE, &error) ||
      !ts_cli_unlock_workspace (cli, &error))
    return ts_cli_fail (error);
  if (!(modem = open_modem_for_change (cli, "creds write", &opts, sec_tag, &status)))
    return status;

  ok = ts_workspace_write_credential (cli->workspace, modem, sec_tag, type, content, key_password,
                                      write_flags (opts.stay_offline), &sha256, notices, NULL,
                                      &error);
  print_notices (notices);
  if (!ok)
    return ts_cli_fail (error);

  printf (_("Wrote the %s to sec_tag %u; the modem lists SHA-256 %s, as sent.\n"),
          ts_cred_type_describe (type), sec_tag, sha256);

  return TS_CLI_EXIT_OK;
}

/* creds delete */

static int
run_creds_delete (TsCli  *cli,
                  int     argc,
                  char  **argv)
{
  g_auto(ModemOptions) opts = { 0 };
  gboolean all = FALSE;
  GOptionEntry entries[] = {
    PORT_OPTION_ENTRIES (opts),
    SEC_TAG_ENTRY (opts, N_("The sec_tag")),
    TYPE_ENTRY (opts, N_("The type to delete")),
    { "all", 0, 0, G_OPTION_ARG_NONE, &all, N_("Delete every type in the sec_tag"), NULL },
    STAY_OFFLINE_ENTRY (opts),
    { NULL }
  };
  g_autoptr(TsDeviceLink) modem = NULL;
  g_autoptr(GError) error = NULL;
  guint32 sec_tag;
  guint type = 0;
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  gboolean ok;
  guint deleted = 0;
  int status;

  if (!ts_cli_parse_options (cli, "creds delete", NULL,
                             _("Deletes one credential type, or with --all everything in a "
                               "sec_tag, with the modem offline. The ledger records the intent "
                               "before and the outcome after; no CA is needed, but the workspace passphrase is."),
                             entries, &argc, &argv, &status))
    return status;
  if (!parse_sec_tag_option ("creds delete", opts.sec_tag, &sec_tag, &status))
    return status;
  if (all == (opts.type != NULL))
    return ts_cli_usage_error ("creds delete", _("Give either --type or --all."));
  if (opts.type != NULL && !parse_type_option ("creds delete", opts.type, &type, &status))
    return status;
  /* Recorded before the modem is touched, and every record needs the workspace
   * passphrase (the first one given sets it, as for a CA). */
  if (!ts_cli_open_workspace (cli, TS_WORKSPACE_OPEN_READ_WRITE, &error) ||
      !ts_cli_unlock_workspace (cli, &error))
    return ts_cli_fail (error);
  if (!(modem = open_modem_for_change (cli, "creds delete", &opts, sec_tag, &status)))
    return status;

  ok = ts_workspace_delete_credentials (cli->workspace, modem, sec_tag, all ? -1 : (int) type,
                                        write_flags (opts.stay_offline), &deleted, notices, NULL,
                                        &error);
  print_notices (notices);
  if (!ok)
    return ts_cli_fail (error);

  if (all)
    printf (g_dngettext (GETTEXT_PACKAGE, "Deleted %u credential from sec_tag %u.\n",
                         "Deleted %u credentials from sec_tag %u.\n", deleted), deleted, sec_tag);
  else
    printf (_("Deleted the %s from sec_tag %u.\n"), ts_cred_type_describe (type), sec_tag);

  return TS_CLI_EXIT_OK;
}

static int
run_creds (TsCli  *cli,
           int     argc,
           char  **argv)
{
  static const struct
  {
    const char    *name;
    TsCliVerbFunc  run;
  } subverbs[] = {
    { "list",   run_creds_list },
    { "read",   run_creds_read },
    { "write",  run_creds_write },
    { "delete", run_creds_delete },
  };

  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      FILE *out = argc < 2 ? stderr : stdout;

      fprintf (out, _("Usage: tagsmith creds list|read|write|delete --port PATH [OPTIONS]\n"
                      "Run `tagsmith creds SUBVERB --help` for its options.\n"));
      return argc < 2 ? TS_CLI_EXIT_USAGE : TS_CLI_EXIT_OK;
    }

  for (guint i = 0; i < G_N_ELEMENTS (subverbs); i++)
    if (g_str_equal (argv[1], subverbs[i].name))
      return subverbs[i].run (cli, argc - 1, argv + 1);

  return ts_cli_usage_error ("creds", _("Unknown sub-verb “%s”; use list, read, write or "
                                        "delete."), argv[1]);
}

/* keygen */

static char *
hex_digest (const guint8 digest[32])
{
  GString *out = g_string_sized_new (64);

  for (guint i = 0; i < 32; i++)
    g_string_append_printf (out, "%02X", digest[i]);

  return g_string_free (out, FALSE);
}

static int
run_keygen (TsCli  *cli,
            int     argc,
            char  **argv)
{
  g_auto(ModemOptions) opts = { 0 };
  g_autofree char *attributes = NULL;
  g_autofree char *out = NULL;
  GOptionEntry entries[] = {
    PORT_OPTION_ENTRIES (opts),
    SEC_TAG_ENTRY (opts, N_("Where the key goes")),
    { "attributes", 0, 0, G_OPTION_ARG_STRING, &attributes,
      N_("CSR subject, e.g. \"O=Acme,CN=nrf-352656100367872\" (default: CN=<device UUID>)"),
      N_("ATTRS") },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Write the CSR (PEM) to FILE"), N_("FILE") },
    STAY_OFFLINE_ENTRY (opts),
    { NULL }
  };
  g_autoptr(TsDeviceLink) modem = NULL;
  g_autoptr(TsKeygenResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *digest = NULL;
  guint32 sec_tag;
  int status;

  if (!ts_cli_parse_options (cli, "keygen", NULL,
                             _("Generates a P-256 key inside the modem (it never leaves) and "
                               "prints its certificate signing request, after checking the COSE "
                               "digest and the device UUID."),
                             entries, &argc, &argv, &status))
    return status;
  if (!parse_sec_tag_option ("keygen", opts.sec_tag, &sec_tag, &status) ||
      !(modem = open_modem_for_change (cli, "keygen", &opts, sec_tag, &status)))
    return status;

  result = ts_workspace_keygen (cli->workspace, modem, sec_tag, attributes,
                                write_flags (opts.stay_offline), NULL, &error);
  if (result == NULL)
    return ts_cli_fail (error);

  pem = ts_keygen_result_dup_pem (result);
  digest = hex_digest (result->digest);

  if (out != NULL && !write_file (out, pem, strlen (pem), &error))
    return ts_cli_fail (error);

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      ts_json_add_int (builder, "sec_tag", result->sec_tag);
      ts_json_add_string (builder, "device_uuid", result->device_uuid);
      ts_json_add_string (builder, "subject", result->subject);
      ts_json_add_string (builder, "csr_sha256", digest);
      ts_json_add_string (builder, "csr_pem", pem);
      ts_json_add_string (builder, "token", result->token);
      json_builder_end_object (builder);
      ts_cli_ca_print_builder (builder);
    }
  else if (out == NULL)
    fputs (pem, stdout);
  else
    printf (_("Generated a key in sec_tag %u for device %s; CSR subject %s, written to %s.\n"),
            sec_tag, result->device_uuid, result->subject, out);

  return TS_CLI_EXIT_OK;
}

/* attest */

static int
run_attest (TsCli  *cli,
            int     argc,
            char  **argv)
{
  g_auto(ModemOptions) opts = { 0 };
  g_autofree char *challenge = NULL;
  GOptionEntry entries[] = {
    PORT_OPTION_ENTRIES (opts),
    { "challenge", 0, 0, G_OPTION_ARG_STRING, &challenge,
      N_("32 hex digits that the token must carry instead of a random nonce"), N_("HEX") },
    { NULL }
  };
  g_autoptr(TsDeviceLink) modem = NULL;
  g_autoptr(TsAttestation) token = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (!ts_cli_parse_options (cli, "attest", NULL,
                             _("Reads the modem's attestation token (for nRF Cloud claiming) and "
                               "decodes it."),
                             entries, &argc, &argv, &status))
    return status;
  if (!(modem = open_modem (cli, "attest", &opts, &status)))
    return status;
  if (!(token = ts_workspace_attest (cli->workspace, modem, challenge, NULL, &error)))
    return ts_cli_fail (error);

  if (cli->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      ts_json_add_string (builder, "token", token->token);
      ts_json_add_int (builder, "message_type", token->message_type);
      ts_json_add_string (builder, "device_uuid", token->device_uuid);
      ts_json_add_int (builder, "device_type", token->device_type);
      ts_json_add_string (builder, "firmware_uuid", token->firmware_uuid);
      ts_json_add_string (builder, "nonce", token->nonce_hex);
      json_builder_end_object (builder);
      ts_cli_ca_print_builder (builder);
      return TS_CLI_EXIT_OK;
    }

  printf ("%s\n", token->token);
  printf (_("Device UUID:    %s\n"), token->device_uuid);
  printf (_("Device type:    %" G_GINT64_FORMAT "\n"), token->device_type);
  printf (_("Firmware UUID:  %s\n"), token->firmware_uuid);
  printf (_("Nonce:          %s\n"), token->nonce_hex);

  return TS_CLI_EXIT_OK;
}

const TsCliVerb ts_cli_modem_verbs[] = {
  { "devices", N_("List serial ports with nRF91 kits and running emulators"), run_devices },
  { "info",    N_("Show a modem's IMEI, model, firmware and UUID"), run_info },
  { "creds",   N_("List, read, write or delete a modem's credentials"), run_creds },
  { "keygen",  N_("Generate a key in the modem and get its CSR"), run_keygen },
  { "attest",  N_("Read a modem's attestation token"), run_attest },
  { NULL, NULL, NULL },
};
