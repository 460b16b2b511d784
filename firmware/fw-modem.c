/* fw-modem.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fw-modem"

#include "config.h"

#include <string.h>

#include "fw-modem-private.h"

typedef struct
{
  gint64  due_us;
  char   *line;
} Urc;

static const int cfun_values[] = { 0, 1, 2, 4, 20, 21, 30, 31, 40, 41, 44 };

/* Modem-owned entries that listings show (§6.3, §6.8); their content stays inside. */
static const guint32 modem_tags[] = { 4294967292u, 4294967293u, 4294967294u };

static void
urc_free (gpointer data)
{
  Urc *urc = data;

  g_free (urc->line);
  g_free (urc);
}

static int
urc_compare (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  const Urc *ua = a, *ub = b;

  return ua->due_us < ub->due_us ? -1 : ua->due_us > ub->due_us;
}

static void
queue_urc (FwModem    *self,
           guint       delay_ms,
           const char *line)
{
  Urc *urc = g_new0 (Urc, 1);

  urc->due_us = g_get_monotonic_time () + (gint64) delay_ms * 1000;
  urc->line = g_strdup (line);
  g_queue_insert_sorted (&self->urcs, urc, urc_compare, NULL);
}

static void
drop_urcs (FwModem    *self,
           const char *prefix)
{
  GList *l = self->urcs.head;

  while (l != NULL)
    {
      GList *next = l->next;
      Urc *urc = l->data;

      if (g_str_has_prefix (urc->line, prefix))
        {
          urc_free (urc);
          g_queue_delete_link (&self->urcs, l);
        }
      l = next;
    }
}

FwModem *
fw_modem_new (const FwModemConfig *config,
              FwDevice            *device)
{
  FwModem *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (device != NULL, NULL);

  self = g_new0 (FwModem, 1);
  self->config = *config;
  self->device = device;
  g_queue_init (&self->urcs);

  if (config->modem_entries)
    for (guint i = 0; i < G_N_ELEMENTS (modem_tags); i++)
      {
        guint8 content[16];

        fw_uuid_derive ("tagsmith-emulator modem entry", device->imei, content);
        content[0] = i;
        fw_store_put (device->store, modem_tags[i], 0, FW_ORIGIN_MODEM, content, sizeof content);
      }
  fw_modem_boot (self);
  return self;
}

void
fw_modem_free (FwModem *self)
{
  if (self == NULL)
    return;
  g_queue_clear_full (&self->urcs, urc_free);
  fw_device_free (self->device);
  g_free (self);
}

static gboolean
cfun_makes_lte_active (int fun)
{
  return fun == 1 || fun == 2 || fun == 21;
}

static gboolean
cfun_stops_lte (int fun)
{
  return fun == 0 || fun == 4 || fun == 20 || fun == 44;
}

/* Power-on state: CFUN at its configured value, CMEE 0, subscriptions gone (§3.1, §3.3). */
void
fw_modem_boot (FwModem *self)
{
  g_return_if_fail (self != NULL);

  self->cfun = self->config.power_on_cfun;
  self->lte_active = cfun_makes_lte_active (self->cfun);
  self->cmee = 0;
  self->cereg = self->config.subscribed ? 5 : 0;
  self->xmodemsleep = self->config.subscribed;
  g_queue_clear_full (&self->urcs, urc_free);
  if (self->lte_active && self->cereg > 0)
    queue_urc (self, self->config.attach_ms, "+CEREG: 1,\"67C0\",\"01AA1300\",7");
}

/* Saves the store after a change; a failure is what a flash error looks like. */
gboolean
fw_modem_commit (FwModem *self)
{
  g_autoptr(GError) error = NULL;

  if (fw_device_save (self->device, &error))
    return TRUE;
  g_printerr ("tagsmith-emulator: %s\n", error->message);
  return FALSE;
}

void
fw_modem_firmware_uuid (FwModem *self,
                        guint8   uuid[16])
{
  fw_uuid_derive ("tagsmith-emulator firmware uuid", self->config.profile->firmware, uuid);
}

static char *
cereg_line (FwModem *self,
            int      stat)
{
  if (self->cereg >= 2 && stat == 1)
    return g_strdup_printf ("+CEREG: %d,\"67C0\",\"01AA1300\",7", stat);
  if (self->cereg >= 2 && stat == 2)
    return g_strdup_printf ("+CEREG: %d,\"FFFE\",\"FFFFFFFF\",7", stat);
  return g_strdup_printf ("+CEREG: %d", stat);
}

static void
lte_changed (FwModem *self)
{
  g_autofree char *now = NULL;
  g_autofree char *later = NULL;

  drop_urcs (self, "+CEREG");
  if (self->cereg == 0)
    return;
  if (self->lte_active)
    {
      now = cereg_line (self, 2);
      later = cereg_line (self, 1);
      queue_urc (self, 0, now);
      queue_urc (self, self->config.attach_ms, later);
    }
  else
    {
      now = cereg_line (self, 0);
      queue_urc (self, 0, now);
    }
}

static int
handle_at (FwModem           *self,
           const FwAtCommand *command,
           GString           *lines,
           guint             *busy_ms)
{
  return command->kind == FW_AT_ACTION ? FW_STATUS_OK : FW_STATUS_ERROR;
}

/* The test and set forms of a one-number setting (+CMEE, +CEREG): @test_answer
 * lists the values, and a set takes one number up to @max. The caller answers reads. */
static int
number_setting (const FwAtCommand *command,
                GString           *lines,
                const char        *test_answer,
                guint64            max,
                int               *setting)
{
  guint64 value;

  switch (command->kind)
    {
    case FW_AT_TEST:
      g_string_append_printf (lines, "%s\r\n", test_answer);
      return FW_STATUS_OK;
    case FW_AT_SET:
      if (fw_at_n_params (command) != 1 || !fw_at_param_uint (command, 0, max, &value))
        return FW_STATUS_SYNTAX;
      *setting = value;
      return FW_STATUS_OK;
    case FW_AT_READ:
    case FW_AT_ACTION:
    default:
      return FW_STATUS_SYNTAX;
    }
}

static int
handle_cmee (FwModem           *self,
             const FwAtCommand *command,
             GString           *lines,
             guint             *busy_ms)
{
  if (command->kind == FW_AT_READ)
    {
      g_string_append_printf (lines, "+CMEE: %d\r\n", self->cmee);
      return FW_STATUS_OK;
    }
  return number_setting (command, lines, "+CMEE: (0,1)", 1, &self->cmee);
}

static int
handle_cfun (FwModem           *self,
             const FwAtCommand *command,
             GString           *lines,
             guint             *busy_ms)
{
  guint64 value;
  gboolean was_active = self->lte_active;

  switch (command->kind)
    {
    case FW_AT_READ:
      g_string_append_printf (lines, "+CFUN: %d\r\n", self->cfun);
      return FW_STATUS_OK;
    case FW_AT_TEST:
      g_string_append (lines, "+CFUN: (0,1,4,20,21,30,31,40,41,44)\r\n");
      return FW_STATUS_OK;
    case FW_AT_SET:
      if (fw_at_n_params (command) != 1 || !fw_at_param_uint (command, 0, 255, &value))
        return FW_STATUS_SYNTAX;
      for (guint i = 0; i < G_N_ELEMENTS (cfun_values); i++)
        if (cfun_values[i] == (int) value)
          {
            self->cfun = value;
            if (cfun_makes_lte_active (self->cfun))
              self->lte_active = TRUE;
            else if (cfun_stops_lte (self->cfun))
              self->lte_active = FALSE;
            if (was_active != self->lte_active)
              lte_changed (self);
            return FW_STATUS_OK;
          }
      return FW_STATUS_SYNTAX;
    case FW_AT_ACTION:
    default:
      return FW_STATUS_SYNTAX;
    }
}

static int
handle_cereg (FwModem           *self,
              const FwAtCommand *command,
              GString           *lines,
              guint             *busy_ms)
{
  if (command->kind == FW_AT_READ)
    {
      g_string_append_printf (lines, "+CEREG: %d,%d\r\n", self->cereg,
                              self->lte_active ? 1 : 0);
      return FW_STATUS_OK;
    }
  return number_setting (command, lines, "+CEREG: (0-5)", 5, &self->cereg);
}

static int
handle_xmodemsleep (FwModem           *self,
                    const FwAtCommand *command,
                    GString           *lines,
                    guint             *busy_ms)
{
  guint64 value;

  switch (command->kind)
    {
    case FW_AT_READ:
      g_string_append_printf (lines, "%%XMODEMSLEEP: %d\r\n", self->xmodemsleep);
      return FW_STATUS_OK;
    case FW_AT_SET:
      if (fw_at_n_params (command) < 1 || fw_at_n_params (command) > 3
          || !fw_at_param_uint (command, 0, 1, &value))
        return FW_STATUS_SYNTAX;
      self->xmodemsleep = value;
      return FW_STATUS_OK;
    case FW_AT_TEST:
    case FW_AT_ACTION:
    default:
      return FW_STATUS_SYNTAX;
    }
}

/* 3GPP 27.007 forms: 0 serial number (IMEI), 1 IMEI, 2 IMEISV, 3 SVN (§4). */
static int
handle_cgsn (FwModem           *self,
             const FwAtCommand *command,
             GString           *lines,
             guint             *busy_ms)
{
  const char *imei = self->device->imei;
  guint64 form = 0;

  if (command->kind == FW_AT_TEST)
    {
      g_string_append (lines, "+CGSN: (0-3)\r\n");
      return FW_STATUS_OK;
    }
  if (command->kind == FW_AT_READ)
    return FW_STATUS_SYNTAX;
  if (command->kind == FW_AT_SET
      && (fw_at_n_params (command) != 1 || !fw_at_param_uint (command, 0, 3, &form)))
    return FW_STATUS_SYNTAX;

  switch (form)
    {
    case 0:
      g_string_append_printf (lines, "%s\r\n", imei);
      break;
    case 1:
      g_string_append_printf (lines, "+CGSN: \"%s\"\r\n", imei);
      break;
    case 2:
      g_string_append_printf (lines, "+CGSN: \"%.14s%s\"\r\n", imei, "01");
      break;
    default:
      g_string_append (lines, "+CGSN: \"01\"\r\n");
      break;
    }
  return FW_STATUS_OK;
}

/* The value of a read-only identity command (§4), or %NULL where the firmware
 * does not know the command: %DEVICEUUID is nRF91x1 only (§8.2). */
static char *
identity_value (FwModem    *self,
                const char *name)
{
  const FwProfile *profile = self->config.profile;
  guint8 uuid[16];

  if (g_str_equal (name, "+CGMI"))
    return g_strdup ("Nordic Semiconductor ASA");
  if (g_str_equal (name, "+CGMM"))
    return g_strdup (profile->model);
  if (g_str_equal (name, "+CGMR"))
    return g_strdup (profile->firmware);
  if (g_str_equal (name, "%HWVERSION"))
    return g_strdup (profile->hw_version);
  if (g_str_equal (name, "%SHORTSWVER"))
    return g_strdup (profile->short_version);
  if (g_str_equal (name, "%XMODEMUUID"))
    {
      /* The modem firmware build's UUID, not the device's. */
      fw_modem_firmware_uuid (self, uuid);
      return fw_uuid_format (uuid);
    }
  if (g_str_equal (name, "%DEVICEUUID") && profile->is_nrf91x1)
    return fw_uuid_format (self->device->uuid);
  return NULL;
}

/* 3GPP identity commands answer a bare line and accept the test form; Nordic's
 * answer `<name>: <value>` and only in the action form (§4). */
static int
handle_identity (FwModem           *self,
                 const FwAtCommand *command,
                 GString           *lines,
                 guint             *busy_ms)
{
  g_autofree char *value = identity_value (self, command->name);
  gboolean is_3gpp = command->name[0] == '+';

  if (value == NULL || (!is_3gpp && command->kind != FW_AT_ACTION))
    return FW_STATUS_ERROR;
  if (command->kind != FW_AT_ACTION)
    return command->kind == FW_AT_TEST ? FW_STATUS_OK : FW_STATUS_SYNTAX;

  if (is_3gpp)
    g_string_append_printf (lines, "%s\r\n", value);
  else
    g_string_append_printf (lines, "%s: %s\r\n", command->name, value);
  return FW_STATUS_OK;
}

static const struct
{
  const char *name;
  FwHandler   handler;
} handlers[] = {
  { "", handle_at },
  { "+CMEE", handle_cmee },
  { "+CFUN", handle_cfun },
  { "+CEREG", handle_cereg },
  { "+CGMI", handle_identity },
  { "+CGMM", handle_identity },
  { "+CGMR", handle_identity },
  { "+CGSN", handle_cgsn },
  { "%HWVERSION", handle_identity },
  { "%SHORTSWVER", handle_identity },
  { "%XMODEMUUID", handle_identity },
  { "%DEVICEUUID", handle_identity },
  { "%XMODEMSLEEP", handle_xmodemsleep },
  { "%CMNG", fw_cmng_handle },
  { "%KEYGEN", fw_keygen_handle },
  { "%ATTESTTOKEN", fw_attesttoken_handle },
};

static char *
final_line (FwModem *self,
            int      status)
{
  if (status == FW_STATUS_OK)
    return g_strdup ("OK");
  if (status == FW_STATUS_SYNTAX)
    status = self->config.syntax_error < 0 ? FW_STATUS_ERROR : self->config.syntax_error;
  if (status == FW_STATUS_ERROR || self->cmee == 0)
    return g_strdup ("ERROR");
  return g_strdup_printf ("+CME ERROR: %d", status);
}

/* Leading whitespace and line terminators are tolerated, trailing CR/LF too (§2.1, §10.2). */
static char *
trim_command (const char *line)
{
  const char *start = line;
  const char *end;

  while (*start == ' ' || *start == '\t' || *start == '\r' || *start == '\n')
    start++;
  end = start + strlen (start);
  while (end > start && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
    end--;
  return g_strndup (start, end - start);
}

/**
 * fw_modem_execute:
 * @line: the command as the bridge handed it over
 * @reply: (out caller-allocates): the answer; release with fw_reply_clear()
 */
void
fw_modem_execute (FwModem    *self,
                  const char *line,
                  FwReply    *reply)
{
  g_autofree char *text = trim_command (line);
  g_autoptr(FwAtCommand) command = fw_at_command_parse (text);
  int status = FW_STATUS_ERROR;

  g_return_if_fail (self != NULL);

  reply->lines = g_string_new (NULL);
  reply->busy_ms = 0;
  if (command != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (handlers); i++)
      if (g_str_equal (handlers[i].name, command->name))
        {
          status = handlers[i].handler (self, command, reply->lines, &reply->busy_ms);
          break;
        }
  if (status != FW_STATUS_OK)
    g_string_truncate (reply->lines, 0);
  reply->final = final_line (self, status);
}

void
fw_reply_clear (FwReply *reply)
{
  if (reply->lines != NULL)
    g_string_free (reply->lines, TRUE);
  reply->lines = NULL;
  g_clear_pointer (&reply->final, g_free);
}

/* Called by the emulator after idle_ms without traffic: subscribed idle URCs. */
void
fw_modem_idle (FwModem *self,
               guint    idle_ms)
{
  g_autofree char *line = NULL;

  g_return_if_fail (self != NULL);

  if (!self->xmodemsleep)
    return;
  line = g_strdup_printf ("%%XMODEMSLEEP: 1,%u", idle_ms);
  queue_urc (self, 0, line);
}

/* Called by the emulator every search_urc_ms: a kit with LTE on that finds no cell
 * keeps reporting the search to a +CEREG subscriber (§3.3). */
void
fw_modem_searching (FwModem *self)
{
  g_autofree char *line = NULL;

  g_return_if_fail (self != NULL);

  if (!self->lte_active || self->cereg == 0)
    return;
  line = cereg_line (self, 2);
  queue_urc (self, 0, line);
}

/* Returns: (transfer full) (nullable): the next URC due at @now_us */
char *
fw_modem_pop_urc (FwModem *self,
                  gint64   now_us)
{
  Urc *urc = g_queue_peek_head (&self->urcs);
  char *line;

  if (urc == NULL || urc->due_us > now_us)
    return NULL;
  g_queue_pop_head (&self->urcs);
  line = g_steal_pointer (&urc->line);
  urc_free (urc);
  return line;
}

/* Monotonic time of the next queued URC, or -1. */
gint64
fw_modem_next_urc_us (FwModem *self)
{
  Urc *urc = g_queue_peek_head (&self->urcs);

  return urc ? urc->due_us : -1;
}
