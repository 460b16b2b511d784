/* fw-options.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fw-options"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fw-options.h"

#define DEFAULT_BAUD        115200
#define DEFAULT_BUFFER_SIZE 4096
#define DEFAULT_STORE_BYTES 65536
#define DEFAULT_FLASH_MS    100
#define DEFAULT_ATTACH_MS   1500
#define DEFAULT_KEYGEN_MS   "1000-3000"

static const char description[] =
  "Emulates an nRF91 kit running Nordic's AT client sample, on a pseudo-terminal.\n"
  "The first line on stdout is the port to open (the --link path when given).\n"
  "While it runs it registers itself in $XDG_RUNTIME_DIR/tagsmith/emulators/.\n"
  "\n"
  "Profiles:\n"
  "  nrf9160         nRF9160-SICA, mfw_nrf9160_1.3.5: KEYGEN, CSR with the legacy NULL\n"
  "  nrf9160-legacy  nRF9160-SICA, mfw_nrf9160_1.2.0: KEYGEN answers +CME ERROR: 0\n"
  "  nrf9161         nRF9161-LACA, mfw_nrf91x1_2.0.2: certificate check (527), %DEVICEUUID\n"
  "  nrf9151         nRF9151-LACA, mfw_nrf91x1_2.0.2: as nrf9161\n"
  "\n"
  "Faults (--fault, repeatable):\n"
  "  hangup-after=N   hang up the port after N bytes of one command, then exit\n"
  "  noise=RATE       after each answer, a garbage line with probability RATE (0..1)\n"
  "  delay=MS         delay every answer by MS milliseconds (also with --no-pacing)\n"
  "  drop-final=CMD   never send the final result code of commands starting with CMD\n"
  "                   (e.g. AT%CMNG=2 or +CGSN; AT is optional, case is ignored)\n"
  "  reboot-after=N   reboot after the Nth command: banner again, CFUN back to its\n"
  "                   power-on value, CMEE 0, URC subscriptions gone\n"
  "  reboot-at-byte=N reboot when the Nth byte from the host arrives (a kit reset as\n"
  "                   the host starts talking); the rest of that read is lost\n"
  "\n"
  "See firmware/README.md for the defaults chosen where the protocol reference is uncertain.";

typedef struct
{
  char     *profile;
  char     *imei;
  char     *state;
  char     *link;
  int       baud;
  gboolean  no_pacing;
  char     *keygen_ms;
  int       flash_ms;
  int       attach_ms;
  char     *termination;
  int       buffer_size;
  gboolean  shell;
  char     *prompt;
  gboolean  no_unescape_lf;
  int       cfun;
  gboolean  no_banner;
  gboolean  first_command_error;
  gboolean  subscribed;
  int       idle_urc_ms;
  int       search_urc_ms;
  char     *stale_input;
  gboolean  no_modem_entries;
  char     *csr_null;
  char     *syntax_error;
  int       store_bytes;
  char    **faults;
  int       seed;
  gboolean  verbose;
} RawOptions;

static void
raw_options_clear (RawOptions *raw)
{
  g_free (raw->profile);
  g_free (raw->imei);
  g_free (raw->state);
  g_free (raw->link);
  g_free (raw->keygen_ms);
  g_free (raw->termination);
  g_free (raw->prompt);
  g_free (raw->csr_null);
  g_free (raw->syntax_error);
  g_free (raw->stale_input);
  g_strfreev (raw->faults);
}

static gboolean
bad_value (GError     **error,
           const char  *option,
           const char  *value,
           const char  *advice)
{
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "%s %s is not valid: %s", option, value, advice);
  return FALSE;
}

static gboolean
parse_uint (const char *text,
            guint64     max,
            guint64    *value)
{
  return g_ascii_string_to_unsigned (text, 10, 0, max, value, NULL);
}

static gboolean
parse_fault (FwOptions   *options,
             const char  *spec,
             GError     **error)
{
  const char *eq = strchr (spec, '=');
  g_autofree char *name = eq ? g_strndup (spec, eq - spec) : g_strdup (spec);
  const char *value = eq ? eq + 1 : "";
  guint64 n;

  if (g_str_equal (name, "hangup-after") && parse_uint (value, G_MAXUINT, &n) && n > 0)
    options->hangup_after = n;
  else if (g_str_equal (name, "delay") && parse_uint (value, 600000, &n))
    options->delay_ms = n;
  else if (g_str_equal (name, "reboot-after") && parse_uint (value, G_MAXUINT, &n) && n > 0)
    options->reboot_after = n;
  else if (g_str_equal (name, "reboot-at-byte") && parse_uint (value, G_MAXUINT, &n) && n > 0)
    options->reboot_at_byte = n;
  else if (g_str_equal (name, "noise"))
    {
      char *end = NULL;
      double rate = g_ascii_strtod (value, &end);

      if (*value == '\0' || *end != '\0' || !(rate >= 0.0 && rate <= 1.0))
        return bad_value (error, "--fault", spec, "noise takes a rate from 0 to 1, e.g. noise=0.2.");
      options->noise_rate = rate;
    }
  else if (g_str_equal (name, "drop-final") && *value != '\0')
    {
      g_autofree char *upper = g_ascii_strup (value, -1);

      g_ptr_array_add (options->drop_final, g_str_has_prefix (upper, "AT")
                                            ? g_steal_pointer (&upper)
                                            : g_strconcat ("AT", upper, NULL));
    }
  else
    return bad_value (error, "--fault", spec,
                      "use hangup-after=N, noise=RATE, delay=MS, drop-final=CMD, "
                      "reboot-after=N or reboot-at-byte=N (N at least 1).");
  return TRUE;
}

static gboolean
parse_keygen_ms (FwOptions   *options,
                 const char  *text,
                 GError     **error)
{
  g_auto(GStrv) parts = g_strsplit (text, "-", 2);
  guint64 lo, hi;

  if (!parse_uint (parts[0], 600000, &lo))
    return bad_value (error, "--keygen-ms", text, "give MS or MIN-MAX in milliseconds.");
  hi = lo;
  if (parts[1] != NULL && (!parse_uint (parts[1], 600000, &hi) || hi < lo))
    return bad_value (error, "--keygen-ms", text, "give MS or MIN-MAX with MIN <= MAX.");
  options->modem.keygen_ms_min = lo;
  options->modem.keygen_ms_max = hi;
  return TRUE;
}

static gboolean
apply (FwOptions   *options,
       RawOptions  *raw,
       GError     **error)
{
  static const char *const terminations[] = { "cr", "lf", "crlf", "nul" };
  static const int cfun_values[] = { 0, 1, 2, 4, 20, 21, 30, 31, 40, 41, 44 };
  const FwProfile *profile = fw_profile_lookup (raw->profile ? raw->profile : "nrf9160");
  gboolean cfun_ok = FALSE;
  guint64 n;

  if (profile == NULL)
    {
      g_autofree char *names = fw_profile_names ();

      return bad_value (error, "--profile", raw->profile, names);
    }
  options->modem.profile = profile;

  if (raw->imei != NULL && !fw_imei_is_valid (raw->imei))
    return bad_value (error, "--imei", raw->imei,
                      "an IMEI has 15 digits and ends in its Luhn check digit.");
  options->imei = g_strdup (raw->imei);
  options->state_path = g_strdup (raw->state);
  options->link_path = g_strdup (raw->link);

  if (raw->baud < 300 || raw->baud > 4000000)
    return bad_value (error, "--baud", "", "choose a rate from 300 to 4000000.");
  options->baud = raw->baud;
  options->pacing = !raw->no_pacing;

  options->termination = G_N_ELEMENTS (terminations);
  for (guint i = 0; i < G_N_ELEMENTS (terminations); i++)
    if (g_ascii_strcasecmp (raw->termination ? raw->termination : "cr", terminations[i]) == 0)
      options->termination = i;
  if (options->termination == G_N_ELEMENTS (terminations))
    return bad_value (error, "--termination", raw->termination, "use cr, lf, crlf or nul.");

  if (raw->buffer_size < 2 || raw->buffer_size > 65536)
    return bad_value (error, "--buffer-size", "", "choose 2 to 65536 bytes.");
  options->buffer_size = raw->buffer_size;
  options->shell = raw->shell;
  options->prompt = g_strdup (raw->prompt ? raw->prompt : "uart:~$ ");
  options->unescape_lf = !raw->no_unescape_lf;
  options->banner = !raw->no_banner;
  options->first_command_error = raw->first_command_error;
  options->verbose = raw->verbose;
  options->seed = raw->seed >= 0 ? (guint32) raw->seed : g_random_int ();

  for (guint i = 0; i < G_N_ELEMENTS (cfun_values); i++)
    cfun_ok |= cfun_values[i] == raw->cfun;
  if (!cfun_ok)
    return bad_value (error, "--cfun", "", "use one of 0,1,2,4,20,21,30,31,40,41,44.");
  options->modem.power_on_cfun = raw->cfun;

  if (raw->stale_input != NULL)
    {
      g_autofree char *bytes = g_strcompress (raw->stale_input);

      options->stale_input = g_byte_array_new ();
      g_byte_array_append (options->stale_input, (const guint8 *) bytes, strlen (bytes));
    }

  if (raw->idle_urc_ms < 0 || raw->search_urc_ms < 0 || raw->flash_ms < 0 || raw->attach_ms < 0 || raw->store_bytes < 0)
    return bad_value (error, "a time or size", "", "it cannot be negative.");
  options->idle_urc_ms = raw->idle_urc_ms;
  options->search_urc_ms = raw->search_urc_ms;
  options->modem.subscribed = raw->subscribed;
  options->modem.modem_entries = !raw->no_modem_entries;
  options->modem.store_bytes = raw->store_bytes;
  options->modem.flash_ms = raw->flash_ms;
  options->modem.attach_ms = raw->attach_ms;
  if (!parse_keygen_ms (options, raw->keygen_ms ? raw->keygen_ms : DEFAULT_KEYGEN_MS, error))
    return FALSE;
  if (!options->pacing)
    {
      options->modem.flash_ms = options->modem.attach_ms = 0;
      options->modem.keygen_ms_min = options->modem.keygen_ms_max = 0;
    }

  if (raw->csr_null == NULL || g_str_equal (raw->csr_null, "auto"))
    options->modem.csr_null = profile->csr_null;
  else if (g_str_equal (raw->csr_null, "yes") || g_str_equal (raw->csr_null, "no"))
    options->modem.csr_null = g_str_equal (raw->csr_null, "yes");
  else
    return bad_value (error, "--csr-null", raw->csr_null, "use auto, yes or no.");

  if (raw->syntax_error == NULL || g_str_equal (raw->syntax_error, "plain"))
    options->modem.syntax_error = -1;
  else if (parse_uint (raw->syntax_error, 65535, &n))
    options->modem.syntax_error = n;
  else
    return bad_value (error, "--syntax-error", raw->syntax_error,
                      "use plain or a +CME ERROR number such as 50.");

  for (guint i = 0; raw->faults && raw->faults[i]; i++)
    if (!parse_fault (options, raw->faults[i], error))
      return FALSE;
  return TRUE;
}

gboolean
fw_options_parse (FwOptions   *options,
                  int         *argc,
                  char      ***argv,
                  GError     **error)
{
  RawOptions raw = {
    .baud = DEFAULT_BAUD,
    .flash_ms = DEFAULT_FLASH_MS,
    .attach_ms = DEFAULT_ATTACH_MS,
    .buffer_size = DEFAULT_BUFFER_SIZE,
    .cfun = 4,
    .store_bytes = DEFAULT_STORE_BYTES,
    .seed = -1,
  };
  GOptionEntry entries[] = {
    { "profile", 'p', 0, G_OPTION_ARG_STRING, &raw.profile,
      "Modem firmware to emulate (default nrf9160)", "PROFILE" },
    { "imei", 0, 0, G_OPTION_ARG_STRING, &raw.imei,
      "IMEI of a new device (15 digits, Luhn-valid; default: random for the profile)", "IMEI" },
    { "state", 's', 0, G_OPTION_ARG_FILENAME, &raw.state,
      "Keep identity and credentials in FILE across runs (created if missing)", "FILE" },
    { "link", 'l', 0, G_OPTION_ARG_FILENAME, &raw.link,
      "Also make PATH a symlink to the pty, and print it instead", "PATH" },
    { "baud", 'b', 0, G_OPTION_ARG_INT, &raw.baud,
      "Pace both directions at N baud, 10 bits per byte (default 115200)", "N" },
    { "no-pacing", 0, 0, G_OPTION_ARG_NONE, &raw.no_pacing,
      "No baud-rate pacing and no modelled latencies: answer at once", NULL },
    { "keygen-ms", 0, 0, G_OPTION_ARG_STRING, &raw.keygen_ms,
      "Modelled %KEYGEN time, fixed or a random range (default 1000-3000)", "MS|MIN-MAX" },
    { "flash-ms", 0, 0, G_OPTION_ARG_INT, &raw.flash_ms,
      "Modelled flash time per stored credential change (default 100)", "MS" },
    { "attach-ms", 0, 0, G_OPTION_ARG_INT, &raw.attach_ms,
      "Time from AT+CFUN=1 to the 'registered' +CEREG URC (default 1500)", "MS" },
    { "termination", 't', 0, G_OPTION_ARG_STRING, &raw.termination,
      "Command terminator of the AT host: cr (default), lf, crlf or nul", "MODE" },
    { "buffer-size", 0, 0, G_OPTION_ARG_INT, &raw.buffer_size,
      "AT host command buffer; at most N-1 bytes are stored (default 4096)", "N" },
    { "shell", 0, 0, G_OPTION_ARG_NONE, &raw.shell,
      "Zephyr-shell mode: prompt, echo, commands typed as `at <command>`", NULL },
    { "prompt", 0, 0, G_OPTION_ARG_STRING, &raw.prompt,
      "Shell prompt (default \"uart:~$ \")", "TEXT" },
    { "no-unescape-lf", 0, 0, G_OPTION_ARG_NONE, &raw.no_unescape_lf,
      "Shell mode: keep a typed \\n as two characters instead of CR LF", NULL },
    { "cfun", 0, 0, G_OPTION_ARG_INT, &raw.cfun,
      "Functional mode at power-on (default 4, offline)", "N" },
    { "no-banner", 0, 0, G_OPTION_ARG_NONE, &raw.no_banner,
      "Do not print the boot banner at start and after a reboot", NULL },
    { "first-command-error", 0, 0, G_OPTION_ARG_NONE, &raw.first_command_error,
      "Answer ERROR to the first command after each boot", NULL },
    { "subscribed", 0, 0, G_OPTION_ARG_NONE, &raw.subscribed,
      "Boot with +CEREG=5 and %XMODEMSLEEP=1 subscriptions already made", NULL },
    { "idle-urc-ms", 0, 0, G_OPTION_ARG_INT, &raw.idle_urc_ms,
      "After MS idle, send subscribed idle URCs (%XMODEMSLEEP); 0 = off (default)", "MS" },
    { "search-urc-ms", 0, 0, G_OPTION_ARG_INT, &raw.search_urc_ms,
      "With LTE on and +CEREG subscribed, report 'searching' every MS; 0 = off (default)",
      "MS" },
    { "stale-input", 0, 0, G_OPTION_ARG_STRING, &raw.stale_input,
      "Bytes an earlier program left in the AT host buffer, C escapes allowed "
      "(e.g. 'AT%CMNG=0,1,0,\"-----BEGIN' leaves it inside a quote)", "TEXT" },
    { "no-modem-entries", 0, 0, G_OPTION_ARG_NONE, &raw.no_modem_entries,
      "Do not list the modem-owned entries at sec_tags 4294967292-4294967294", NULL },
    { "csr-null", 0, 0, G_OPTION_ARG_STRING, &raw.csr_null,
      "NULL parameter in the KEYGEN CSR signature algorithm: auto (profile), yes, no",
      "auto|yes|no" },
    { "syntax-error", 0, 0, G_OPTION_ARG_STRING, &raw.syntax_error,
      "Answer to malformed parameters: plain ERROR (default) or +CME ERROR: N", "plain|N" },
    { "store-bytes", 0, 0, G_OPTION_ARG_INT, &raw.store_bytes,
      "Credential store capacity; beyond it writes fail with 515 (default 65536)", "N" },
    { "fault", 'f', 0, G_OPTION_ARG_STRING_ARRAY, &raw.faults,
      "Inject a fault (repeatable; see below)", "SPEC" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &raw.seed,
      "Seed for the noise fault, for repeatable runs", "N" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &raw.verbose,
      "Log the AT traffic to stderr", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- emulated nRF91 modem on a pty");
  gboolean ok;

  g_return_val_if_fail (options != NULL, FALSE);

  memset (options, 0, sizeof *options);
  options->drop_final = g_ptr_array_new_with_free_func (g_free);
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context, description);
  ok = g_option_context_parse (context, argc, argv, error);
  if (ok && *argc > 1)
    ok = bad_value (error, "The argument", (*argv)[1], "this program takes options only.");
  if (ok)
    ok = apply (options, &raw, error);
  raw_options_clear (&raw);
  return ok;
}

void
fw_options_clear (FwOptions *options)
{
  g_free (options->imei);
  g_free (options->state_path);
  g_free (options->link_path);
  g_free (options->prompt);
  g_clear_pointer (&options->drop_final, g_ptr_array_unref);
  g_clear_pointer (&options->stale_input, g_byte_array_unref);
}
