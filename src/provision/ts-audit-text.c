/* ts-audit-text.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-audit-text"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "ts-audit-text.h"

static const char *
member (JsonObject *details,
        const char *name)
{
  JsonNode *node;

  if (details == NULL || !json_object_has_member (details, name))
    return NULL;

  node = json_object_get_member (details, name);
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);

  return NULL;
}

static gint64
member_int (JsonObject *details,
            const char *name)
{
  JsonNode *node;

  if (details == NULL || !json_object_has_member (details, name))
    return -1;

  node = json_object_get_member (details, name);
  return JSON_NODE_HOLDS_VALUE (node) ? json_node_get_int (node) : -1;
}

void
ts_audit_event_describe (const CaAuditEvent  *event,
                         char               **title,
                         char               **subtitle,
                         const char         **icon_name)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *details = NULL;
  const char *action = event->action;
  const char *ca = NULL;
  const char *serial = NULL;
  g_autofree char *detail_text = NULL;

  g_return_if_fail (event != NULL);

  /* Details are data from the ledger, parsed defensively: any shape still shows. */
  if (event->details != NULL && json_parser_load_from_data (parser, event->details, -1, NULL))
    {
      JsonNode *root = json_parser_get_root (parser);

      if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
        details = json_node_get_object (root);
    }
  ca = member (details, "ca");
  serial = member (details, "serial");
  *icon_name = "document-edit-symbolic";

  if (g_strcmp0 (action, "issue") == 0)
    {
      *title = g_strdup (_("Certificate issued"));
      detail_text = g_strdup_printf (_("Serial %s by %s"), serial ? serial : "?", ca ? ca : "?");
      *icon_name = "emblem-ok-symbolic";
    }
  else if (g_strcmp0 (action, "revoke") == 0)
    {
      const char *reason = member (details, "reason");

      *title = g_strdup (_("Certificate revoked"));
      detail_text = g_strdup_printf (_("Serial %s of %s, reason: %s"),
                                     serial ? serial : "?", ca ? ca : "?",
                                     reason ? reason : _("unspecified"));
      *icon_name = "action-unavailable-symbolic";
    }
  else if (g_str_has_prefix (action, "install."))
    {
      const char *state = action + strlen ("install.");
      const char *port = member (details, "port");
      gint64 sec_tag = member_int (details, "sec_tag");

      if (g_str_equal (state, "intent"))
        *title = g_strdup (_("Install started"));
      else if (g_str_equal (state, "verified"))
        *title = g_strdup (_("Installed and verified"));
      else if (g_str_equal (state, "written"))
        *title = g_strdup (_("Written to the modem"));
      else if (g_str_equal (state, "failed"))
        *title = g_strdup (_("Install failed"));
      else if (g_str_equal (state, "abandoned"))
        *title = g_strdup (_("Install abandoned"));
      else if (g_str_equal (state, "removing"))
        *title = g_strdup (_("Deletion started"));
      else if (g_str_equal (state, "removed"))
        *title = g_strdup (_("Removed from the modem"));
      else
        *title = g_strdup (action);

      if (sec_tag >= 0)
        detail_text = g_strdup_printf (_("sec_tag %" G_GINT64_FORMAT " on %s"), sec_tag,
                                       port ? port : _("an unknown port"));
      else if (member (details, "detail") != NULL)
        detail_text = g_strdup (member (details, "detail"));
      *icon_name = g_str_equal (state, "failed") ? "dialog-warning-symbolic"
                                                 : "document-save-symbolic";
    }
  else if (g_strcmp0 (action, "device.seen") == 0)
    {
      const char *model = member (details, "model");

      *title = g_strdup (_("Device identified"));
      detail_text = g_strdup (model != NULL ? model : "");
      *icon_name = "tagsmith-modem-symbolic";
    }
  else if (g_strcmp0 (action, "crl") == 0)
    {
      *title = g_strdup (_("CRL published"));
      detail_text = g_strdup_printf (_("Number %" G_GINT64_FORMAT " of %s"),
                                     member_int (details, "crl_number"), ca ? ca : "?");
      *icon_name = "view-list-symbolic";
    }
  else if (g_strcmp0 (action, "key.evidence") == 0)
    {
      /* The %KEYGEN answer itself is long; the dossier and `audit list --json` show it. */
      *title = g_strdup (_("Key generated in the modem"));
      detail_text = g_strdup_printf (_("Evidence for serial %s by %s"), serial ? serial : "?", ca ? ca : "?");
      *icon_name = "emblem-ok-symbolic";
    }
  else if (g_str_has_prefix (action, "ca."))
    {
      *title = g_strdup_printf (_("Authority: %s"), action + strlen ("ca."));
      detail_text = g_strdup (member (details, "name") ? member (details, "name") : (ca ? ca : ""));
      *icon_name = "security-high-symbolic";
    }
  else
    {
      *title = g_strdup (action);
      detail_text = g_strdup (event->details != NULL ? event->details : "");
    }

  /* Not every event has details: an install marked verified may carry neither a sec_tag
   * nor a detail. */
  if (detail_text == NULL)
    detail_text = g_strdup ("");

  *subtitle = event->actor != NULL && *detail_text != '\0'
              ? g_strdup_printf (_("%s · by %s"), detail_text, event->actor)
              : event->actor != NULL ? g_strdup_printf (_("by %s"), event->actor)
                                     : g_steal_pointer (&detail_text);
}
