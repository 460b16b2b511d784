/* test-audit-text.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "ts-audit-text.h"

/* The words the window and the command line both give an audit event. */
typedef struct
{
  const char *action;
  const char *actor;
  const char *details;
  const char *title;
  const char *subtitle;
  const char *icon;
} AuditCase;

static void
test_audit_describe (void)
{
  static const AuditCase cases[] = {
    { "issue", "ops@bench", "{\"serial\":\"1A2B\",\"ca\":\"Line 1 CA\"}",
      "Certificate issued", "Serial 1A2B by Line 1 CA · by ops@bench", "emblem-ok-symbolic" },
    { "revoke", NULL, "{\"serial\":\"1A2B\",\"ca\":\"Line 1 CA\",\"reason\":\"superseded\"}",
      "Certificate revoked", "Serial 1A2B of Line 1 CA, reason: superseded",
      "action-unavailable-symbolic" },
    { "revoke", NULL, "{\"serial\":\"1A2B\"}",
      "Certificate revoked", "Serial 1A2B of ?, reason: unspecified", "action-unavailable-symbolic" },
    { "install.intent", NULL, "{\"sec_tag\":16842753,\"port\":\"/dev/ttyACM0\"}",
      "Install started", "sec_tag 16842753 on /dev/ttyACM0", "document-save-symbolic" },
    { "install.failed", "ops@bench", "{\"detail\":\"store full\"}",
      "Install failed", "store full · by ops@bench", "dialog-warning-symbolic" },
    { "install.abandoned", NULL, "{\"sec_tag\":5}",
      "Install abandoned", "sec_tag 5 on an unknown port", "document-save-symbolic" },
    /* An install marked verified may carry no details at all. */
    { "install.verified", "ops@bench", NULL,
      "Installed and verified", "by ops@bench", "document-save-symbolic" },
    { "install.verified", NULL, NULL,
      "Installed and verified", "", "document-save-symbolic" },
    { "device.seen", NULL, "{\"model\":\"nRF9160-SICA\"}",
      "Device identified", "nRF9160-SICA", "tagsmith-modem-symbolic" },
    { "crl", NULL, "{\"ca\":\"Line 1 CA\",\"crl_number\":3}",
      "CRL published", "Number 3 of Line 1 CA", "view-list-symbolic" },
    { "key.evidence", NULL, "{\"ca\":\"Line 1 CA\",\"serial\":\"1A2B\",\"evidence\":{\"origin\":\"modem\"}}",
      "Key generated in the modem", "Evidence for serial 1A2B by Line 1 CA", "emblem-ok-symbolic" },
    { "ca.create", NULL, "{\"name\":\"Test Root CA\"}",
      "Authority: create", "Test Root CA", "security-high-symbolic" },
    /* Details that are not an object, or not JSON, still show. */
    { "issue", NULL, "[1,2]", "Certificate issued", "Serial ? by ?", "emblem-ok-symbolic" },
    { "backup", NULL, "not json", "backup", "not json", "document-edit-symbolic" },
    { "issue", NULL, "{\"serial\":7,\"ca\":null}", "Certificate issued", "Serial ? by ?",
      "emblem-ok-symbolic" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CaAuditEvent event = {
        .id = i + 1, .action = (char *) cases[i].action, .actor = (char *) cases[i].actor,
        .details = (char *) cases[i].details,
      };
      g_autofree char *title = NULL;
      g_autofree char *subtitle = NULL;
      const char *icon = NULL;

      ts_audit_event_describe (&event, &title, &subtitle, &icon);
      g_test_message ("case %u: %s", i, cases[i].action);
      g_assert_cmpstr (title, ==, cases[i].title);
      g_assert_cmpstr (subtitle, ==, cases[i].subtitle);
      g_assert_cmpstr (icon, ==, cases[i].icon);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/audit-text/describe", test_audit_describe);

  return g_test_run ();
}
