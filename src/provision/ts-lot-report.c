/* ts-lot-report.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-lot-report"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include <ca.h>

#include "ts-lot-report.h"
#include "ts-provision-error.h"

struct _TsLotReport
{
  char      *lot;
  char      *csv_path;
  char      *json_path;
  GPtrArray *entries;   /* (element-type TsLotEntry) in the order units were first seen */
  char      *audit_head; /* (nullable) "SEQ:HASH" */
};

void
ts_lot_entry_free (TsLotEntry *entry)
{
  if (entry == NULL)
    return;

  g_free (entry->imei);
  g_free (entry->uuid);
  g_free (entry->serial);
  g_free (entry->sha256);
  g_free (entry->authority);
  g_free (entry->reason);
  g_free (entry->port);
  g_free (entry);
}

static char *
dup_member (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_dup_string (node);
}

static gboolean
load_json (TsLotReport  *self,
           GError      **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  JsonObject *root;
  JsonArray *units;
  g_autofree char *lot = NULL;

  if (!json_parser_load_from_file (parser, self->json_path, &local_error) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_REPORT,
                   _("The lot report %s is damaged (%s). Move it away to start the lot "
                     "afresh, or choose another report file."),
                   self->json_path,
                   local_error != NULL ? local_error->message : _("not a JSON object"));
      ca_error_add_cli_hint (error, _("pass another with --report FILE."));
      return FALSE;
    }

  root = json_node_get_object (json_parser_get_root (parser));
  lot = dup_member (root, "lot");
  if (g_strcmp0 (lot, self->lot) != 0)
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_REPORT,
                   _("The report %s belongs to lot “%s”, not “%s”. Continue lot “%s” with it, "
                     "or choose another report file for this one."),
                   self->json_path, lot != NULL ? lot : "", self->lot, lot != NULL ? lot : "");
      ca_error_add_cli_hint (error, _("pass --lot %s to continue that lot, or another --report "
                                      "for this one."), lot != NULL ? lot : "");
      return FALSE;
    }

  units = json_object_has_member (root, "units") ? json_object_get_array_member (root, "units")
                                                 : NULL;
  for (guint i = 0; units != NULL && i < json_array_get_length (units); i++)
    {
      JsonObject *unit = json_array_get_object_element (units, i);
      TsLotEntry *entry;

      if (unit == NULL)
        continue;

      entry = g_new0 (TsLotEntry, 1);
      entry->imei = dup_member (unit, "imei");
      entry->uuid = dup_member (unit, "uuid");
      entry->serial = dup_member (unit, "serial");
      entry->sha256 = dup_member (unit, "sha256");
      entry->authority = dup_member (unit, "ca");
      entry->sec_tag = (guint32) json_object_get_int_member_with_default (unit, "sec_tag", 0);
      entry->time = json_object_get_int_member_with_default (unit, "unix_time", 0);
      entry->passed = g_strcmp0 (json_object_get_string_member_with_default (unit, "result", ""),
                                 "PASS") == 0;
      entry->reason = dup_member (unit, "reason");
      entry->port = dup_member (unit, "port");
      /* Only a failure can lack the IMEI: the unit never answered. */
      if (entry->imei == NULL && entry->passed)
        ts_lot_entry_free (entry);
      else
        g_ptr_array_add (self->entries, entry);
    }

  return TRUE;
}

/**
 * ts_lot_report_open:
 * @lot: the lot's name
 * @path: the report's file name; ".csv" or ".json" at its end is replaced, and
 *   both files are written
 *
 * Returns: (transfer full): the report, with the units of an earlier session
 *   of the same lot when its JSON file exists
 */
TsLotReport *
ts_lot_report_open (const char  *lot,
                    const char  *path,
                    GError     **error)
{
  g_autoptr(TsLotReport) self = NULL;
  g_autofree char *stem = NULL;

  g_return_val_if_fail (lot != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  stem = g_strdup (path);
  if (g_str_has_suffix (stem, ".csv") || g_str_has_suffix (stem, ".json"))
    *strrchr (stem, '.') = '\0';

  self = g_new0 (TsLotReport, 1);
  self->lot = g_strdup (lot);
  self->csv_path = g_strconcat (stem, ".csv", NULL);
  self->json_path = g_strconcat (stem, ".json", NULL);
  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) ts_lot_entry_free);

  if (g_file_test (self->json_path, G_FILE_TEST_EXISTS) && !load_json (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

/* The ledger's audit head ("SEQ:HASH") when the report is saved: kept outside
 * the ledger, it shows later whether the ledger was rolled back. */
void
ts_lot_report_set_audit_head (TsLotReport *report,
                              const char  *head)
{
  g_free (report->audit_head);
  report->audit_head = g_strdup (head);
}

void
ts_lot_report_free (TsLotReport *report)
{
  if (report == NULL)
    return;
  g_free (report->audit_head);

  g_free (report->lot);
  g_free (report->csv_path);
  g_free (report->json_path);
  g_ptr_array_unref (report->entries);
  g_free (report);
}

const char *
ts_lot_report_get_lot (TsLotReport *report)
{
  return report->lot;
}

const char *
ts_lot_report_get_csv_path (TsLotReport *report)
{
  return report->csv_path;
}

const char *
ts_lot_report_get_json_path (TsLotReport *report)
{
  return report->json_path;
}

static TsLotEntry *
find_entry (TsLotReport *self,
            const char  *imei,
            guint       *index)
{
  if (imei == NULL)
    return NULL;

  for (guint i = 0; i < self->entries->len; i++)
    {
      TsLotEntry *entry = g_ptr_array_index (self->entries, i);

      if (g_strcmp0 (entry->imei, imei) == 0)
        {
          if (index != NULL)
            *index = i;
          return entry;
        }
    }
  return NULL;
}

/* A unit is done when it passed; a failed one is tried again when it comes back. */
gboolean
ts_lot_report_is_done (TsLotReport *report,
                       const char  *imei)
{
  TsLotEntry *entry;

  g_return_val_if_fail (report != NULL, FALSE);

  entry = find_entry (report, imei, NULL);
  return entry != NULL && entry->passed;
}

/* Takes @entry; it replaces the unit's earlier row, keeping its place. A unit
 * without an IMEI cannot be told from another one: its row is always new. */
void
ts_lot_report_add (TsLotReport *report,
                   TsLotEntry  *entry)
{
  guint index;

  g_return_if_fail (report != NULL);
  g_return_if_fail (entry != NULL && (entry->imei != NULL || !entry->passed));

  if (find_entry (report, entry->imei, &index) != NULL)
    {
      ts_lot_entry_free (g_ptr_array_index (report->entries, index));
      g_ptr_array_index (report->entries, index) = entry;
    }
  else
    g_ptr_array_add (report->entries, entry);
}

guint
ts_lot_report_count (TsLotReport *report,
                     gboolean     passed)
{
  guint n = 0;

  for (guint i = 0; i < report->entries->len; i++)
    n += ((TsLotEntry *) g_ptr_array_index (report->entries, i))->passed == passed;
  return n;
}

/* RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
static void
append_csv_field (GString    *out,
                  const char *value,
                  gboolean    last)
{
  if (value == NULL)
    value = "";

  if (strpbrk (value, ",\"\r\n") != NULL)
    {
      g_string_append_c (out, '"');
      for (const char *p = value; *p != '\0'; p++)
        {
          if (*p == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
    }
  else
    g_string_append (out, value);

  g_string_append (out, last ? "\r\n" : ",");
}

static char *
build_csv (TsLotReport *self)
{
  GString *out = g_string_new ("lot,imei,uuid,serial,sha256,ca,sec_tag,time,result,reason,port\r\n");

  for (guint i = 0; i < self->entries->len; i++)
    {
      const TsLotEntry *e = g_ptr_array_index (self->entries, i);
      g_autofree char *sec_tag = g_strdup_printf ("%u", e->sec_tag);
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (e->time);
      g_autofree char *time = g_date_time_format_iso8601 (dt);

      append_csv_field (out, self->lot, FALSE);
      append_csv_field (out, e->imei, FALSE);
      append_csv_field (out, e->uuid, FALSE);
      append_csv_field (out, e->serial, FALSE);
      append_csv_field (out, e->sha256, FALSE);
      append_csv_field (out, e->authority, FALSE);
      append_csv_field (out, sec_tag, FALSE);
      append_csv_field (out, time, FALSE);
      append_csv_field (out, e->passed ? "PASS" : "FAIL", FALSE);
      append_csv_field (out, e->reason, FALSE);
      append_csv_field (out, e->port, TRUE);
    }

  return g_string_free (out, FALSE);
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static char *
build_json (TsLotReport *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  add_string (builder, "lot", self->lot);
  add_string (builder, "audit_head", self->audit_head);
  json_builder_set_member_name (builder, "passed");
  json_builder_add_int_value (builder, ts_lot_report_count (self, TRUE));
  json_builder_set_member_name (builder, "failed");
  json_builder_add_int_value (builder, ts_lot_report_count (self, FALSE));
  json_builder_set_member_name (builder, "units");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->entries->len; i++)
    {
      const TsLotEntry *e = g_ptr_array_index (self->entries, i);
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (e->time);
      g_autofree char *time = g_date_time_format_iso8601 (dt);

      json_builder_begin_object (builder);
      add_string (builder, "imei", e->imei);
      add_string (builder, "uuid", e->uuid);
      add_string (builder, "serial", e->serial);
      add_string (builder, "sha256", e->sha256);
      add_string (builder, "ca", e->authority);
      json_builder_set_member_name (builder, "sec_tag");
      json_builder_add_int_value (builder, e->sec_tag);
      add_string (builder, "time", time);
      json_builder_set_member_name (builder, "unix_time");
      json_builder_add_int_value (builder, e->time);
      add_string (builder, "result", e->passed ? "PASS" : "FAIL");
      add_string (builder, "reason", e->reason);
      add_string (builder, "port", e->port);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

/* Both files are replaced atomically, so a crash leaves the previous version. */
gboolean
ts_lot_report_save (TsLotReport  *report,
                    GError      **error)
{
  g_autofree char *csv = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (report != NULL, FALSE);

  csv = build_csv (report);
  json = build_json (report);

  if (!g_file_set_contents (report->json_path, json, -1, &local_error) ||
      !g_file_set_contents (report->csv_path, csv, -1, &local_error))
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_REPORT,
                   _("Could not save the lot report: %s. Free some disk space or pass "
                     "another --report; the ledger has every certificate regardless."),
                   local_error->message);
      return FALSE;
    }

  return TRUE;
}
