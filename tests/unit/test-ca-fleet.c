/* test-ca-fleet.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <openssl/evp.h>
#include <ca.h>

#include "test-ca-util.h"

static CaCertificate *
issue (Fixture    *fixture,
       const char *imei,
       const char *csr_name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCsr) csr = fixture_csr (csr_name);
  CaCertificate *cert = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", imei }, csr, &error);

  g_assert_no_error (error);

  return cert;
}

static void
test_device_seen (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaDevice) device = NULL;
  gint64 events;

  /* Recording a device changes the ledger: that needs the passphrase too. */
  g_assert_false (ca_ledger_device_seen (fixture->ledger, &(CaDevice) { IMEI1 }, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_LOCKED);
  g_clear_error (&error);
  g_assert_true (ca_ledger_unlock (fixture->ledger, PASS, &error));
  g_assert_true (ca_ledger_device_seen (fixture->ledger,
                                        &(CaDevice) { IMEI1, "50363154-3931-4a21-80b9-1503d88271bf",
                                                      "nRF9160 DK", "mfw_nrf9160_1.3.5", "LOT-7" }, &error));
  g_assert_no_error (error);
  events = count_rows (fixture, "audit_log");

  /* Seen again with nothing new: last_seen only, no audit noise. */
  g_assert_true (ca_ledger_device_seen (fixture->ledger, &(CaDevice) { IMEI1 }, &error));
  g_assert_cmpint (count_rows (fixture, "audit_log"), ==, events);
  g_assert_true (ca_ledger_device_seen (fixture->ledger, &(CaDevice) { IMEI1, .notes = "returned" }, &error));

  device = ca_ledger_get_device (fixture->ledger, IMEI1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (device->uuid, ==, "50363154-3931-4a21-80b9-1503d88271bf");
  g_assert_cmpstr (device->model, ==, "nRF9160 DK");
  g_assert_cmpstr (device->firmware, ==, "mfw_nrf9160_1.3.5");
  g_assert_cmpstr (device->lot, ==, "LOT-7");
  g_assert_cmpstr (device->notes, ==, "returned");
  g_assert_cmpint (device->first_seen, >, 0);
  g_assert_cmpint (device->last_seen, >=, device->first_seen);

  g_assert_false (ca_ledger_device_seen (fixture->ledger, &(CaDevice) { "490154203237519" }, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_IMEI);
  g_clear_error (&error);
  g_assert_null (ca_ledger_get_device (fixture->ledger, IMEI2, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_NOT_FOUND);
}

static void
test_installs_and_lookup (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) cert = NULL;
  g_autoptr(CaCertificate) reread = NULL;
  g_autoptr(GPtrArray) unfinished = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(CaShaMatch) by_lf = NULL;
  g_autoptr(CaShaMatch) by_crlf = NULL;
  g_autoptr(CaShaMatch) by_install = NULL;
  g_autoptr(CaShaMatch) by_ca = NULL;
  g_autoptr(CaShaMatch) unknown = NULL;
  g_autoptr(CaAuthority) root = NULL;
  g_autofree char *lower = NULL;
  char *sent_sha = "6AEE30EC87D762D5EF420BB5C1404738F2312F4904FB2AC157019A959E34371C";
  gint64 first;
  gint64 second;

  make_cas (fixture);
  cert = issue (fixture, IMEI1, "p256.csr.pem");

  first = ca_ledger_install_begin (fixture->ledger,
                                   &(CaInstall) { .imei = IMEI1, .sec_tag = 16842753, .cred_type = 1,
                                                  .certificate_id = cert->id, .sha256 = cert->sha256_crlf,
                                                  .port = "/dev/ttyACM0" }, &error);
  g_assert_no_error (error);
  second = ca_ledger_install_begin (fixture->ledger,
                                    &(CaInstall) { .imei = IMEI1, .sec_tag = 42, .cred_type = 1,
                                                   .certificate_id = cert->id, .sha256 = sent_sha }, &error);
  g_assert_no_error (error);

  unfinished = ca_ledger_list_installs (fixture->ledger, IMEI1, TRUE, &error);
  g_assert_cmpuint (unfinished->len, ==, 2);

  g_assert_true (ca_ledger_install_mark (fixture->ledger, first, CA_INSTALL_WRITTEN, NULL, &error));
  g_assert_true (ca_ledger_install_mark (fixture->ledger, first, CA_INSTALL_VERIFIED, NULL, &error));
  g_assert_true (ca_ledger_install_mark (fixture->ledger, second, CA_INSTALL_ABANDONED, "modem unplugged", &error));
  g_assert_no_error (error);
  g_assert_false (ca_ledger_install_mark (fixture->ledger, 999, CA_INSTALL_FAILED, NULL, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_clear_pointer (&unfinished, g_ptr_array_unref);
  unfinished = ca_ledger_list_installs (fixture->ledger, IMEI1, TRUE, &error);
  g_assert_cmpuint (unfinished->len, ==, 0);
  all = ca_ledger_list_installs (fixture->ledger, IMEI1, FALSE, &error);
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_cmpint (((CaInstall *) all->pdata[0])->state, ==, CA_INSTALL_VERIFIED);
  g_assert_cmpstr (((CaInstall *) all->pdata[1])->detail, ==, "modem unplugged");

  reread = ca_ledger_get_certificate (fixture->ledger, cert->id, &error);
  g_assert_cmpint (reread->installed_at, >, 0);

  /* Lookups: LF form, CRLF form (any case), an install's recorded bytes, a CA. */
  by_lf = ca_ledger_lookup_sha256 (fixture->ledger, cert->sha256_lf, &error);
  g_assert_cmpint (by_lf->kind, ==, CA_SHA_DEVICE_CERTIFICATE);
  g_assert_cmpstr (by_lf->serial, ==, cert->serial);
  g_assert_cmpstr (by_lf->imei, ==, IMEI1);
  g_assert_cmpstr (by_lf->authority_name, ==, "Issuing");
  g_assert_cmpint (by_lf->status, ==, CA_CERT_STATUS_VALID);
  lower = g_ascii_strdown (cert->sha256_crlf, -1);
  by_crlf = ca_ledger_lookup_sha256 (fixture->ledger, lower, &error);
  g_assert_cmpint (by_crlf->kind, ==, CA_SHA_DEVICE_CERTIFICATE);
  by_install = ca_ledger_lookup_sha256 (fixture->ledger, sent_sha, &error);
  g_assert_cmpint (by_install->kind, ==, CA_SHA_DEVICE_CERTIFICATE);
  g_assert_cmpint (by_install->install_id, ==, second);
  root = ca_ledger_get_authority (fixture->ledger, "Root", &error);
  by_ca = ca_ledger_lookup_sha256 (fixture->ledger, root->sha256, &error);
  g_assert_cmpint (by_ca->kind, ==, CA_SHA_CA_CERTIFICATE);
  g_assert_cmpstr (by_ca->authority_name, ==, "Root");
  unknown = ca_ledger_lookup_sha256 (fixture->ledger,
                                     "E3C1FDED22009845E3E8E01CE56C9CAF7D5F23877364CF0A27A4E55DD36C7D61", &error);
  g_assert_no_error (error);
  g_assert_cmpint (unknown->kind, ==, CA_SHA_UNKNOWN);
  g_assert_null (ca_ledger_lookup_sha256 (fixture->ledger, "XYZ", &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT);
}

static void
test_fleet_pages (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(CaCertificate) a = NULL;
  g_autoptr(CaCertificate) b = NULL;
  g_autoptr(GPtrArray) revoked = NULL;
  g_autoptr(GPtrArray) valid = NULL;
  g_autoptr(GPtrArray) gone = NULL;
  g_autofree char *after = NULL;

  make_cas (fixture);
  for (int i = 0; i < 25; i++)
    {
      g_autofree char *first14 = g_strdup_printf ("35000000000%03d", i);
      g_autofree char *imei = g_strdup_printf ("%s%c", first14, ca_imei_check_digit (first14));

      g_assert_true (ca_ledger_device_seen (fixture->ledger, &(CaDevice) { imei }, &error));
    }
  a = issue (fixture, IMEI1, "p256.csr.pem");
  b = issue (fixture, IMEI2, "p384.csr.pem");
  gone = ca_ledger_revoke (fixture->ledger, &(CaRevokeRequest) { "Issuing", .imei = IMEI2, .sec_tag = -1 }, &error);
  g_assert_no_error (error);

  /* Keyset pages of 10 cover all 27 devices once, in IMEI order. */
  for (;;)
    {
      g_autoptr(GPtrArray) page = ca_ledger_list_fleet (fixture->ledger,
                                                        &(CaFleetQuery) { .after_imei = after, .limit = 10 }, &error);

      g_assert_no_error (error);
      if (page->len == 0)
        break;
      for (guint i = 0; i < page->len; i++)
        {
          CaFleetRow *row = page->pdata[i];

          if (seen->len > 0)
            g_assert_cmpstr (seen->pdata[seen->len - 1], <, row->imei);
          g_ptr_array_add (seen, g_strdup (row->imei));
        }
      g_free (after);
      after = g_strdup (((CaFleetRow *) page->pdata[page->len - 1])->imei);
    }
  g_assert_cmpuint (seen->len, ==, 27);

  valid = ca_ledger_list_fleet (fixture->ledger, &(CaFleetQuery) { CA_FLEET_VALID }, &error);
  g_assert_cmpuint (valid->len, ==, 1);
  g_assert_cmpstr (((CaFleetRow *) valid->pdata[0])->serial, ==, a->serial);
  revoked = ca_ledger_list_fleet (fixture->ledger, &(CaFleetQuery) { CA_FLEET_REVOKED }, &error);
  g_assert_cmpuint (revoked->len, ==, 1);
  g_assert_cmpstr (((CaFleetRow *) revoked->pdata[0])->imei, ==, IMEI2);
  g_assert_cmpint (((CaFleetRow *) revoked->pdata[0])->status, ==, CA_CERT_STATUS_REVOKED);
}

/* The IMEI "35100000000" + @i (3 digits) + its check digit. */
static char *
numbered_imei (int i)
{
  g_autofree char *first14 = g_strdup_printf ("35100000000%03d", i);

  return g_strdup_printf ("%s%c", first14, ca_imei_check_digit (first14));
}

static GPtrArray *
list_all (Fixture            *fixture,
          const CaFleetQuery *query)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *rows = ca_ledger_list_fleet (fixture->ledger, query, &error);

  g_assert_no_error (error);

  return rows;
}

/* Searches by IMEI prefix, UUID and serial, and a lot filter, alone and together. */
static void
test_fleet_search (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) first = NULL;
  g_autoptr(CaCertificate) second = NULL;
  g_autoptr(GPtrArray) gone = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) lots = NULL;
  g_autofree char *colons = NULL;
  g_autofree char *imei7 = numbered_imei (7);
  g_autofree char *imei15 = numbered_imei (15);

  make_cas (fixture);
  for (int i = 0; i < 30; i++)
    {
      g_autofree char *imei = numbered_imei (i);
      g_autofree char *uuid = g_strdup_printf ("50363154-3931-4a21-80b9-%012d", i);

      g_assert_true (ca_ledger_device_seen (fixture->ledger,
                                            &(CaDevice) { imei, uuid, .lot = i % 3 == 0 ? "LOT-A" : "LOT-B" },
                                            &error));
      g_assert_no_error (error);
    }
  /* IMEI7 is re-keyed: its first certificate is revoked, yet still finds it. */
  first = issue (fixture, imei7, "p256.csr.pem");
  gone = ca_ledger_revoke (fixture->ledger, &(CaRevokeRequest) { "Issuing", .serial = first->serial, .sec_tag = -1 },
                           &error);
  g_assert_no_error (error);
  second = issue (fixture, imei7, "p384.csr.pem");

  /* Digits are an IMEI prefix: 3510000000001 is devices 10..19 */
  rows = list_all (fixture, &(CaFleetQuery) { .search = "3510000000001" });
  g_assert_cmpuint (rows->len, ==, 10);
  for (guint i = 0; i < rows->len; i++)
    g_assert_true (g_str_has_prefix (((CaFleetRow *) rows->pdata[i])->imei, "3510000000001"));
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = list_all (fixture, &(CaFleetQuery) { .search = imei7 });
  g_assert_cmpuint (rows->len, ==, 1);
  g_clear_pointer (&rows, g_ptr_array_unref);
  /* ... paged by key inside the prefix */
  rows = list_all (fixture, &(CaFleetQuery) { .search = "3510000000001", .after_imei = imei15 });
  g_assert_cmpuint (rows->len, ==, 4);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = list_all (fixture, &(CaFleetQuery) { .search = "352" });
  g_assert_cmpuint (rows->len, ==, 0);
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* A UUID in any case */
  rows = list_all (fixture, &(CaFleetQuery) { .search = " 50363154-3931-4A21-80B9-000000000012 " });
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_true (g_str_has_prefix (((CaFleetRow *) rows->pdata[0])->imei, "35100000000012"));
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* The serial of any of the device's certificates, lower-case with colons, shows its current one */
  colons = g_ascii_strdown (first->serial, -1);
  for (gsize i = 2; i < strlen (colons); i += 3)
    {
      char *longer = g_strdup_printf ("%.*s:%s", (int) i, colons, colons + i);

      g_free (colons);
      colons = longer;
    }
  rows = list_all (fixture, &(CaFleetQuery) { .search = colons });
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpstr (((CaFleetRow *) rows->pdata[0])->imei, ==, imei7);
  g_assert_cmpstr (((CaFleetRow *) rows->pdata[0])->serial, ==, second->serial);
  g_assert_cmpuint (((CaFleetRow *) rows->pdata[0])->certificate_count, ==, 2);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = list_all (fixture, &(CaFleetQuery) { CA_FLEET_REVOKED, .search = second->serial });
  g_assert_cmpuint (rows->len, ==, 0);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = list_all (fixture, &(CaFleetQuery) { CA_FLEET_VALID, .search = second->serial });
  g_assert_cmpuint (rows->len, ==, 1);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = list_all (fixture, &(CaFleetQuery) { .search = "not-a-device" });
  g_assert_cmpuint (rows->len, ==, 0);
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* The start of a UUID, in any case: devices 10..19 */
  rows = list_all (fixture, &(CaFleetQuery) { .search = "50363154-3931-4A21-80B9-00000000001" });
  g_assert_cmpuint (rows->len, ==, 10);
  g_assert_true (g_str_has_prefix (((CaFleetRow *) rows->pdata[0])->uuid, "50363154-3931-4a21-80b9-00000000001"));
  g_clear_pointer (&rows, g_ptr_array_unref);
  /* The start of a serial, with colons so it is never taken for IMEI digits */
  colons[8] = '\0';
  rows = list_all (fixture, &(CaFleetQuery) { .search = colons });
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpstr (((CaFleetRow *) rows->pdata[0])->imei, ==, imei7);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = list_all (fixture, &(CaFleetQuery) { .lot = "LOT-A", .search = colons });
  g_assert_cmpuint (rows->len, ==, 0);
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* Lots, alone and with a search */
  rows = list_all (fixture, &(CaFleetQuery) { .lot = "LOT-A" });
  g_assert_cmpuint (rows->len, ==, 10);
  for (guint i = 0; i < rows->len; i++)
    g_assert_cmpstr (((CaFleetRow *) rows->pdata[i])->lot, ==, "LOT-A");
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = list_all (fixture, &(CaFleetQuery) { .lot = "LOT-B", .search = "3510000000001" });
  g_assert_cmpuint (rows->len, ==, 7);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = list_all (fixture, &(CaFleetQuery) { .lot = "LOT-A", .search = imei7 });
  g_assert_cmpuint (rows->len, ==, 0);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = list_all (fixture, &(CaFleetQuery) { .lot = "LOT-B", .search = colons });
  g_assert_cmpuint (rows->len, ==, 1);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = list_all (fixture, &(CaFleetQuery) { .lot = "LOT-B", .search = second->serial });
  g_assert_cmpuint (rows->len, ==, 1);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = list_all (fixture, &(CaFleetQuery) { .lot = "lot-a" });
  g_assert_cmpuint (rows->len, ==, 0);

  /* Devices without a lot are not one */
  g_assert_true (ca_ledger_device_seen (fixture->ledger, &(CaDevice) { IMEI1 }, &error));
  lots = ca_ledger_list_lots (fixture->ledger, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lots->len, ==, 2);
  g_assert_cmpstr (lots->pdata[0], ==, "LOT-A");
  g_assert_cmpstr (lots->pdata[1], ==, "LOT-B");
}

static void
assert_index (Fixture            *fixture,
              const CaFleetQuery *query,
              guint               page_size,
              guint               expected_rows)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaFleetIndex) index = ca_ledger_fleet_index (fixture->ledger, query, page_size, NULL, &error);
  g_autoptr(GPtrArray) all = NULL;
  CaFleetQuery every = *query;

  g_assert_no_error (error);
  g_assert_cmpuint (index->n_rows, ==, expected_rows);
  g_assert_cmpuint (index->page_keys->len, ==, MAX (1, (expected_rows + page_size - 1) / page_size));
  g_assert_null (index->page_keys->pdata[0]);

  /* Each key is the row just before its page, so every page fetched by its key
   * is the same slice of the whole list. */
  every.limit = 1000;
  all = list_all (fixture, &every);
  g_assert_cmpuint (all->len, ==, expected_rows);
  for (guint page = 0; page < index->page_keys->len; page++)
    {
      CaFleetQuery by_key = *query;
      g_autoptr(GPtrArray) rows = NULL;

      if (page > 0)
        g_assert_cmpstr (index->page_keys->pdata[page], ==,
                         ((CaFleetRow *) all->pdata[page * page_size - 1])->imei);
      by_key.after_imei = index->page_keys->pdata[page];
      by_key.limit = page_size;
      rows = list_all (fixture, &by_key);
      g_assert_cmpuint (rows->len, ==, MIN (page_size, expected_rows - page * page_size));
      g_assert_cmpstr (((CaFleetRow *) rows->pdata[0])->imei, ==, ((CaFleetRow *) all->pdata[page * page_size])->imei);
    }
}

/* The index counts what a query selects and keys every page, however it is narrowed. */
static void
test_fleet_index (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(CaCertificate) cert = NULL;
  g_autoptr(CaFleetIndex) empty = NULL;
  g_autofree char *imei7 = numbered_imei (7);

  make_cas (fixture);
  for (int i = 0; i < 100; i++)
    {
      g_autofree char *imei = numbered_imei (i);

      g_assert_true (ca_ledger_device_seen (fixture->ledger, &(CaDevice) { imei, .lot = i < 40 ? "L1" : "L2" },
                                            &error));
      g_assert_no_error (error);
    }
  cert = issue (fixture, imei7, "p256.csr.pem");

  assert_index (fixture, &(CaFleetQuery) { 0 }, 10, 100);
  assert_index (fixture, &(CaFleetQuery) { 0 }, 7, 100);
  assert_index (fixture, &(CaFleetQuery) { 0 }, 100, 100);
  assert_index (fixture, &(CaFleetQuery) { .lot = "L1" }, 16, 40);
  assert_index (fixture, &(CaFleetQuery) { .lot = "L2", .search = "35100000000" }, 15, 60);
  assert_index (fixture, &(CaFleetQuery) { .search = "3510000000005" }, 3, 10);
  assert_index (fixture, &(CaFleetQuery) { CA_FLEET_VALID }, 5, 1);
  assert_index (fixture, &(CaFleetQuery) { .search = cert->serial }, 5, 1);

  empty = ca_ledger_fleet_index (fixture->ledger, &(CaFleetQuery) { CA_FLEET_REVOKED }, 10, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (empty->n_rows, ==, 0);
  g_assert_cmpuint (empty->page_keys->len, ==, 1);

  g_cancellable_cancel (cancellable);
  g_assert_null (ca_ledger_fleet_index (fixture->ledger, &(CaFleetQuery) { 0 }, 10, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* The sort keys of a row as the ledger orders them (ca-schema-7.sql). */
static int
status_rank (const CaFleetRow *row)
{
  if (row->serial == NULL)
    return 2;

  return row->status == CA_CERT_STATUS_REVOKED ? 0 : 1;
}

static gint64
expiry (const CaFleetRow *row)
{
  return row->serial != NULL ? row->not_after : G_MAXINT64;
}

static CaFleetSort sorting;
static gboolean sorting_descending;

static int
compare_rows (gconstpointer a,
              gconstpointer b)
{
  const CaFleetRow *x = *(const CaFleetRow **) a;
  const CaFleetRow *y = *(const CaFleetRow **) b;
  gint64 keys_x[2] = { 0, 0 };
  gint64 keys_y[2] = { 0, 0 };
  int order = 0;

  switch (sorting)
    {
    case CA_FLEET_SORT_IMEI:
      break;
    case CA_FLEET_SORT_LAST_SEEN:
      keys_x[0] = x->last_seen, keys_y[0] = y->last_seen;
      break;
    case CA_FLEET_SORT_EXPIRY:
      keys_x[0] = expiry (x), keys_y[0] = expiry (y);
      break;
    case CA_FLEET_SORT_STATUS:
      keys_x[0] = status_rank (x), keys_y[0] = status_rank (y);
      keys_x[1] = expiry (x), keys_y[1] = expiry (y);
      break;
    default:
      g_assert_not_reached ();
    }
  for (int i = 0; i < 2 && order == 0; i++)
    order = keys_x[i] < keys_y[i] ? -1 : keys_x[i] > keys_y[i];
  if (order == 0)
    order = strcmp (x->imei, y->imei);

  return sorting_descending ? -order : order;
}

/* Lists @query a few rows a page through the keyset and checks it against
 * the whole selection sorted here: every row once, in the sort's order. */
static void
assert_sorted_pages (Fixture            *fixture,
                     const CaFleetQuery *query,
                     guint               expected_rows)
{
  CaFleetQuery every = { .filter = query->filter, .search = query->search, .lot = query->lot, .limit = 1000 };
  g_autoptr(GPtrArray) expected = list_all (fixture, &every);
  g_autoptr(GPtrArray) paged = g_ptr_array_new_with_free_func ((GDestroyNotify) ca_fleet_row_free);
  g_autofree char *after = NULL;

  g_assert_cmpuint (expected->len, ==, expected_rows);
  sorting = query->sort;
  sorting_descending = query->descending;
  g_ptr_array_sort (expected, compare_rows);

  for (;;)
    {
      CaFleetQuery page_query = *query;
      g_autoptr(GPtrArray) page = NULL;

      page_query.after_imei = after;
      page_query.limit = 4;
      page = list_all (fixture, &page_query);
      for (guint i = 0; i < page->len; i++)
        g_ptr_array_add (paged, g_steal_pointer (&page->pdata[i]));
      if (page->len < 4)
        break;
      g_free (after);
      after = g_strdup (((CaFleetRow *) paged->pdata[paged->len - 1])->imei);
    }

  g_assert_cmpuint (paged->len, ==, expected->len);
  for (guint i = 0; i < paged->len; i++)
    g_assert_cmpstr (((CaFleetRow *) paged->pdata[i])->imei, ==, ((CaFleetRow *) expected->pdata[i])->imei);
}

/* The order the CLI's --sort and the window's setting spell, read back as written. */
static void
test_fleet_order_strings (void)
{
  static const struct { const char *text; CaFleetSort sort; gboolean descending; } good[] = {
    { "imei", CA_FLEET_SORT_IMEI, FALSE },
    { "expiry:asc", CA_FLEET_SORT_EXPIRY, FALSE },
    { "last-seen:desc", CA_FLEET_SORT_LAST_SEEN, TRUE },
    { "status:desc", CA_FLEET_SORT_STATUS, TRUE },
  };
  static const char *bad[] = { "", "IMEI", "expiry:", "expiry:down", "lot", "status:desc:x", ":desc" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      CaFleetSort sort = -1;
      gboolean descending = !good[i].descending;
      g_autofree char *again = NULL;

      g_assert_true (ca_fleet_order_from_string (good[i].text, &sort, &descending));
      g_assert_cmpint (sort, ==, good[i].sort);
      g_assert_cmpint (descending, ==, good[i].descending);
      again = ca_fleet_order_to_string (sort, descending);
      g_assert_true (ca_fleet_order_from_string (again, &sort, &descending));
      g_assert_cmpint (sort, ==, good[i].sort);
      g_assert_cmpint (descending, ==, good[i].descending);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      CaFleetSort sort;
      gboolean descending;

      g_assert_false (ca_fleet_order_from_string (bad[i], &sort, &descending));
    }
  g_assert_false (ca_fleet_order_from_string (NULL, &(CaFleetSort) { 0 }, &(gboolean) { 0 }));
}

/* Every sort, both ways, pages through ties on its sort value, alone and
 * with a lot, a status filter or a search; the index keys its pages in the
 * same order. */
static void
test_fleet_sort (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  make_cas (fixture);
  for (int i = 0; i < 30; i++)
    {
      g_autofree char *imei = numbered_imei (i);

      g_assert_true (ca_ledger_device_seen (fixture->ledger, &(CaDevice) { imei, .lot = i < 15 ? "L1" : "L2" },
                                            &error));
      g_assert_no_error (error);
    }
  /* Every certificate ends at the same second or a few apart, and each last
   * seen is one of four: ties across every page boundary. */
  for (int i = 3; i < 30; i += 4)
    {
      g_autofree char *imei = numbered_imei (i);
      EVP_PKEY *key = EVP_EC_gen ("P-256");
      g_autoptr(CaCsr) csr = new_csr (key, FALSE);
      g_autoptr(CaCertificate) cert = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", imei }, csr,
                                                       &error);

      EVP_PKEY_free (key);
      g_assert_no_error (error);

      if (i % 3 == 0)
        {
          g_autoptr(GPtrArray) gone = ca_ledger_revoke (fixture->ledger, &(CaRevokeRequest) { "Issuing", .imei = imei,
                                                                                               .sec_tag = -1 },
                                                        &error);

          g_assert_no_error (error);
        }
    }
  run_sql (fixture, "UPDATE devices SET last_seen = 1000 + CAST (substr (imei, 12, 3) AS INTEGER) % 4");

  for (int sort = 0; sort < CA_FLEET_N_SORTS; sort++)
    for (int descending = 0; descending < 2; descending++)
      {
        CaFleetQuery sorted = { .sort = sort, .descending = descending };

        g_test_message ("sort %s%s", ca_fleet_sort_to_string (sort), descending ? ":desc" : "");
        assert_sorted_pages (fixture, &sorted, 30);
        assert_sorted_pages (fixture, &(CaFleetQuery) { .lot = "L2", .sort = sort, .descending = descending }, 15);
        assert_sorted_pages (fixture, &(CaFleetQuery) { CA_FLEET_VALID, .sort = sort, .descending = descending }, 4);
        assert_sorted_pages (fixture, &(CaFleetQuery) { .search = "3510000000001", .sort = sort,
                                                        .descending = descending }, 10);
        assert_index (fixture, &sorted, 4, 30);
        assert_index (fixture, &(CaFleetQuery) { .lot = "L1", .sort = sort, .descending = descending }, 4, 15);
      }
}

static void
assert_plan_uses (Fixture            *fixture,
                  const CaFleetQuery *query,
                  const char *const  *indexes)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *plan = ca_ledger_explain_fleet (fixture->ledger, query, &error);

  g_assert_no_error (error);
  g_test_message ("%s", plan);
  for (; *indexes != NULL; indexes++)
    if (strstr (plan, *indexes) == NULL)
      g_error ("The plan does not use %s:\n%s", *indexes, plan);
  /* Never a full scan of the devices */
  g_assert_null (strstr (plan, "SCAN d\n"));
}

/* Each shape of fleet query is planned on the indexes of ca-schema-4.sql. */
static void
test_fleet_plans (Fixture       *fixture,
                  gconstpointer  user_data)
{
  assert_plan_uses (fixture, &(CaFleetQuery) { 0 }, (const char *[]) { "sqlite_autoindex_devices_1", NULL });
  assert_plan_uses (fixture, &(CaFleetQuery) { .search = "3526" },
                    (const char *[]) { "sqlite_autoindex_devices_1 (imei>? AND imei<?)", NULL });
  assert_plan_uses (fixture, &(CaFleetQuery) { .lot = "L1" },
                    (const char *[]) { "devices_lot (lot=? AND imei>? AND imei<?)", NULL });
  assert_plan_uses (fixture, &(CaFleetQuery) { CA_FLEET_REVOKED, .search = "50363154-3931-4a21-80b9-1503d88271bf" },
                    (const char *[]) { "sqlite_autoindex_devices_1 (imei=?)", "devices_uuid (uuid>? AND uuid<?)", "certificates_serial (serial=?)", "certificates_serial (serial>? AND serial<?)", NULL });
  assert_plan_uses (fixture, &(CaFleetQuery) { .lot = "L1", .search = "0A:1B" },
                    (const char *[]) { "sqlite_autoindex_devices_1 (imei=?)", "devices_uuid (uuid>? AND uuid<?)", "certificates_serial (serial=?)", "certificates_serial (serial>? AND serial<?)", NULL });
}

/* Each sort, both ways, walks its own index (ca-schema-7.sql) from the page
 * key, on the whole fleet and within a lot: never a scan of the devices nor a
 * sort of the rows in a temporary B-tree. */
static void
test_fleet_sort_plans (Fixture       *fixture,
                       gconstpointer  user_data)
{
  static const char *const indexes[][2] = {
    [CA_FLEET_SORT_IMEI] = { "sqlite_autoindex_devices_1 (imei>? AND imei<?)",
                             "devices_lot (lot=? AND imei>? AND imei<?)" },
    [CA_FLEET_SORT_LAST_SEEN] = { "devices_last_seen ((last_seen,imei)", "devices_lot_last_seen (lot=? AND (last_seen,imei)" },
    [CA_FLEET_SORT_EXPIRY] = { "devices_expiry ((current_not_after,imei)",
                               "devices_lot_expiry (lot=? AND (current_not_after,imei)" },
    [CA_FLEET_SORT_STATUS] = { "devices_status ((current_status_rank,current_not_after,imei)",
                               "devices_lot_status (lot=? AND (current_status_rank,current_not_after,imei)" },
  };

  for (int sort = 0; sort < CA_FLEET_N_SORTS; sort++)
    for (int descending = 0; descending < 2; descending++)
      for (int lot = 0; lot < 2; lot++)
        for (int after = 0; after < 2; after++)
          {
            CaFleetQuery query = { .sort = sort, .descending = descending, .lot = lot ? "L1" : NULL,
                                   .after_imei = after ? IMEI1 : NULL };
            g_autoptr(GError) error = NULL;
            g_autofree char *plan = ca_ledger_explain_fleet (fixture->ledger, &query, &error);

            g_assert_no_error (error);
            g_test_message ("%s%s%s:\n%s", ca_fleet_sort_to_string (sort), descending ? ":desc" : "",
                            lot ? " in a lot" : "", plan);
            assert_plan_uses (fixture, &query, (const char *[]) { indexes[sort][lot], NULL });
            if (strstr (plan, "TEMP B-TREE") != NULL)
              g_error ("The rows are sorted outside an index:\n%s", plan);
          }
}

/* The same on the server, which plans by its statistics: with enough devices
 * for an index to pay, each sort walks its index and sorts nothing. */
static void
test_fleet_sort_plans_server (Fixture       *fixture,
                              gconstpointer  user_data)
{
  /* Within a lot any index in the sort's order will do: one lot in ten is
   * found as soon walking the whole order as that lot's part of it. */
  static const char *const indexes[][2] = {
    [CA_FLEET_SORT_IMEI] = { "devices_pkey on devices d", " on devices d" },
    [CA_FLEET_SORT_LAST_SEEN] = { "devices_last_seen on devices d", "last_seen on devices d" },
    [CA_FLEET_SORT_EXPIRY] = { "devices_expiry on devices d", "expiry on devices d" },
    [CA_FLEET_SORT_STATUS] = { "devices_status on devices d", "status on devices d" },
  };

  run_sql (fixture, "INSERT INTO devices (imei, lot, first_seen, last_seen) SELECT lpad (g::text, 15, '0'), "
                    "'L' || (g % 10), 0, g % 1000 FROM generate_series (1, 50000) g; ANALYZE devices");
  for (int sort = 0; sort < CA_FLEET_N_SORTS; sort++)
    for (int descending = 0; descending < 2; descending++)
      for (int lot = 0; lot < 2; lot++)
        {
          CaFleetQuery query = { .sort = sort, .descending = descending, .lot = lot ? "L1" : NULL,
                                 .after_imei = "000000000000100" };
          g_autoptr(GError) error = NULL;
          g_autofree char *plan = ca_ledger_explain_fleet (fixture->ledger, &query, &error);

          g_assert_no_error (error);
          g_test_message ("%s%s%s:\n%s", ca_fleet_sort_to_string (sort), descending ? ":desc" : "",
                          lot ? " in a lot" : "", plan);
          if (strstr (plan, indexes[sort][lot]) == NULL || strstr (plan, "Index") == NULL)
            g_error ("The plan does not use %s:\n%s", indexes[sort][lot], plan);
          if (strstr (plan, "Seq Scan on devices d") != NULL || strstr (plan, "Sort  (") != NULL)
            g_error ("The plan scans or sorts the devices:\n%s", plan);
        }
}

/* The server plans a statement it has run five times once for any values (a
 * generic plan), which cannot tell that an IMEI range spans every device:
 * sorted listings and counts must walk the sort's index then too, never every
 * device by IMEI to sort them all for each page. */
static void
test_fleet_sort_generic_plans (Fixture       *fixture,
                               gconstpointer  user_data)
{
  static const char *const sort_indexes[] = { "devices_last_seen", "devices_expiry", "devices_status" };
  const guint n = 20000;
  g_autofree char *generic_path = g_strconcat (fixture->path, "%20-cplan_cache_mode%3Dforce_generic_plan", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CaLedger) generic = NULL;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  gboolean counted = FALSE;

  run_sql (fixture, "INSERT INTO devices (imei, first_seen, last_seen) SELECT lpad (g::text, 15, '0'), 0, "
                    "g % 1000 FROM generate_series (1, 20000) g; ANALYZE devices");
  generic = ca_ledger_open (generic_path, &error);
  g_assert_no_error (error);
  for (int sort = CA_FLEET_SORT_LAST_SEEN; sort < CA_FLEET_N_SORTS; sort++)
    for (int descending = 0; descending < 2; descending++)
      {
        CaFleetQuery query = { .sort = sort, .descending = descending, .limit = 50 };
        g_autoptr(CaFleetIndex) index = ca_ledger_fleet_index (generic, &query, 100, NULL, &error);
        g_autoptr(GPtrArray) page = NULL;

        g_assert_no_error (error);
        g_assert_cmpuint (index->n_rows, ==, n);
        query.after_imei = g_ptr_array_index (index->page_keys, 100);
        page = ca_ledger_list_fleet (generic, &query, &error);
        g_assert_no_error (error);
        g_assert_cmpuint (page->len, ==, 50);
      }
  g_clear_object (&generic);

  /* Each sort's index is walked whole for each direction's count. */
  while (!counted && g_get_monotonic_time () < deadline)
    {
      counted = TRUE;
      for (guint i = 0; i < G_N_ELEMENTS (sort_indexes); i++)
        counted &= server_index_reads (fixture, sort_indexes[i]) >= 2 * n;
      if (!counted)
        g_usleep (G_USEC_PER_SEC / 10);
    }
  for (guint i = 0; i < G_N_ELEMENTS (sort_indexes); i++)
    g_test_message ("%s: %" G_GINT64_FORMAT " entries read", sort_indexes[i], server_index_reads (fixture, sort_indexes[i]));
  g_test_message ("devices_pkey: %" G_GINT64_FORMAT " entries read", server_index_reads (fixture, "devices_pkey"));
  g_assert_true (counted);
  /* Only the page keys' own rows are looked up by IMEI. */
  g_assert_cmpint (server_index_reads (fixture, "devices_pkey"), <, 1000);
}

/* A version 6 ledger gains the sort keys, filled from each device's current
 * certificate, and their indexes on open. */
static void
test_fleet_migrate_v6 (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) kept = NULL;
  g_autoptr(CaCertificate) revoked = NULL;
  g_autoptr(GPtrArray) gone = NULL;
  g_autofree char *never_issued = numbered_imei (0);
  const char *sort_indexes = "sqlite_master WHERE type = 'index' AND name LIKE 'devices_%' AND "
                             "(name LIKE '%last_seen' OR name LIKE '%expiry' OR name LIKE '%status')";

  make_cas (fixture);
  kept = issue (fixture, IMEI1, "p256.csr.pem");
  revoked = issue (fixture, IMEI2, "p384.csr.pem");
  gone = ca_ledger_revoke (fixture->ledger, &(CaRevokeRequest) { "Issuing", .imei = IMEI2, .sec_tag = -1 }, &error);
  g_assert_no_error (error);
  g_assert_true (ca_ledger_device_seen (fixture->ledger, &(CaDevice) { never_issued }, &error));
  g_assert_cmpint (count_rows (fixture, sort_indexes), ==, 6);
  g_clear_object (&fixture->ledger);
  undo_schema_7 (fixture);
  run_sql (fixture, "PRAGMA user_version = 6");
  g_assert_cmpint (count_rows (fixture, sort_indexes), ==, 0);

  fixture->ledger = ca_ledger_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (fixture, sort_indexes), ==, 6);
  g_assert_cmpint (count_rows (fixture, "devices d JOIN certificates c ON c.id = d.current_certificate_id "
                                        "WHERE d.current_not_after = c.not_after AND d.current_status_rank = "
                                        "(CASE c.status WHEN 'revoked' THEN 0 ELSE 1 END)"), ==, 2);
  g_assert_cmpint (count_rows (fixture, "devices WHERE current_status_rank = 0"), ==, 1);
  g_assert_cmpint (count_rows (fixture, "devices WHERE current_certificate_id IS NULL AND current_status_rank = 2 "
                                        "AND current_not_after = 9223372036854775807"), ==, 1);
}

/* A version 3 ledger gains the fleet indexes on open. */
static void
test_fleet_migrate_v3 (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  const char *fleet_indexes = "sqlite_master WHERE type = 'index' AND name IN "
                              "('devices_uuid', 'devices_lot', 'certificates_serial', "
                              "'certificates_authority_imei')";

  g_assert_cmpint (count_rows (fixture, fleet_indexes), ==, 4);
  g_clear_object (&fixture->ledger);
  run_sql (fixture, "DROP INDEX devices_last_seen; DROP INDEX devices_expiry; DROP INDEX devices_status; "
                    "DROP INDEX devices_lot_last_seen; DROP INDEX devices_lot_expiry; DROP INDEX devices_lot_status; "
                    "ALTER TABLE devices DROP COLUMN current_not_after; "
                    "ALTER TABLE devices DROP COLUMN current_status_rank;");
  run_sql (fixture, "DROP INDEX devices_uuid; DROP INDEX devices_lot; DROP INDEX certificates_serial; "
                    "DROP INDEX certificates_authority_imei; ALTER TABLE certificates DROP COLUMN station_id; "
                    "ALTER TABLE installs DROP COLUMN station_id; ALTER TABLE devices DROP COLUMN lot_station_id; "
                    "DROP TABLE stations; PRAGMA user_version = 3;");
  g_assert_cmpint (count_rows (fixture, fleet_indexes), ==, 0);

  fixture->ledger = ca_ledger_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (fixture, fleet_indexes), ==, 4);
  g_assert_cmpint (count_rows (fixture, "pragma_user_version WHERE user_version = "
                              G_STRINGIFY (CA_LEDGER_SCHEMA_VERSION)), ==, 1);
}

/* Only a key the modem generates may be recorded without a SHA-256; it is
 * listed back with none and settles like any other install. */
static void
test_keygen_install (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  const CaInstall *key;
  gint64 id;

  g_assert_true (ca_ledger_unlock (fixture->ledger, PASS, &error));
  g_assert_true (ca_ledger_device_seen (fixture->ledger, &(CaDevice) { IMEI1 }, &error));
  g_assert_no_error (error);

  g_assert_cmpint (ca_ledger_install_begin (fixture->ledger,
                                            &(CaInstall) { .imei = IMEI1, .sec_tag = 7, .cred_type = 1 },
                                            &error), ==, 0);
  g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpint (ca_ledger_install_begin (fixture->ledger,
                                            &(CaInstall) { .imei = IMEI1, .sec_tag = 7, .cred_type = 2,
                                                           .host_key = TRUE },
                                            &error), ==, 0);
  g_assert_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  id = ca_ledger_install_begin (fixture->ledger, &(CaInstall) { .imei = IMEI1, .sec_tag = 7, .cred_type = 2 },
                                &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  g_assert_true (ca_ledger_install_mark (fixture->ledger, id, CA_INSTALL_WRITTEN, "modem-generated key", &error));
  g_assert_true (ca_ledger_install_mark (fixture->ledger, id, CA_INSTALL_VERIFIED, NULL, &error));
  g_assert_no_error (error);

  all = ca_ledger_list_installs (fixture->ledger, IMEI1, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 1);
  key = all->pdata[0];
  g_assert_null (key->sha256);
  g_assert_cmpint (key->certificate_id, ==, 0);
  g_assert_cmpint (key->state, ==, CA_INSTALL_VERIFIED);
  g_assert_cmpstr (key->detail, ==, "modem-generated key");
}

static void
test_history (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) a = NULL;
  g_autoptr(CaCertificate) b = NULL;
  g_autoptr(CaDeviceHistory) history = NULL;

  make_cas (fixture);
  a = issue (fixture, IMEI1, "p256.csr.pem");
  b = issue (fixture, IMEI1, "p256b.csr.pem");
  g_assert_cmpint (ca_ledger_install_begin (fixture->ledger,
                                            &(CaInstall) { .imei = IMEI1, .sec_tag = 7, .cred_type = 1,
                                                           .certificate_id = b->id, .sha256 = b->sha256_lf },
                                            &error), >, 0);

  history = ca_ledger_get_history (fixture->ledger, IMEI1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->certificates->len, ==, 2);
  g_assert_cmpint (((CaCertificate *) history->certificates->pdata[1])->supersedes_id, ==, a->id);
  g_assert_cmpuint (history->installs->len, ==, 1);
  g_assert_cmpuint (history->events->len, ==, 3);
  g_assert_cmpstr (((CaAuditEvent *) history->events->pdata[0])->action, ==, "issue");
  g_assert_cmpstr (((CaAuditEvent *) history->events->pdata[2])->action, ==, "install.intent");
}

static void
test_audit_chain (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) a = NULL;
  g_autoptr(GPtrArray) events = NULL;
  gint64 checked = 0;
  gint64 broken = 0;

  make_cas (fixture);
  a = issue (fixture, IMEI1, "p256.csr.pem");

  g_assert_true (ca_ledger_verify_audit (fixture->ledger, &checked, &broken, &error));
  g_assert_no_error (error);
  g_assert_cmpint (checked, ==, 4);   /* passphrase.set, ca.root, ca.intermediate, issue */
  g_assert_cmpint (broken, ==, 0);

  events = ca_ledger_list_audit (fixture->ledger, 0, 0, &error);
  g_assert_cmpuint (events->len, ==, 4);
  for (guint i = 0; i < events->len; i++)
    g_assert_true (((CaAuditEvent *) events->pdata[i])->verified);
  g_assert_nonnull (strstr (((CaAuditEvent *) events->pdata[3])->details, a->serial));
  g_assert_nonnull (strchr (((CaAuditEvent *) events->pdata[3])->actor, '@'));

  /* Edit one row behind the ledger's back. */
  run_sql (fixture, "UPDATE audit_log SET details = '{}' WHERE id = 2");
  g_assert_false (ca_ledger_verify_audit (fixture->ledger, &checked, &broken, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_AUDIT_BROKEN);
  g_assert_cmpint (broken, ==, 2);
  g_assert_cmpint (checked, ==, 1);
  g_clear_error (&error);
}

static void
test_audit_detects_deletion (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  gint64 broken = 0;

  make_cas (fixture);
  run_sql (fixture, "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)");
  g_assert_false (ca_ledger_verify_audit (fixture->ledger, NULL, &broken, &error));
  g_assert_error (error, CA_ERROR, CA_ERROR_AUDIT_BROKEN);
  g_assert_cmpint (broken, ==, 3);
  g_clear_error (&error);

  run_sql (fixture, "DELETE FROM audit_log WHERE id = 1");
  g_assert_false (ca_ledger_verify_audit (fixture->ledger, NULL, &broken, &error));
  g_assert_cmpint (broken, ==, 1);
}

static void
test_nrfcloud_csv (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CaCertificate) a = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(CaCsr) csr = fixture_csr ("p384.csr.pem");
  g_autoptr(CaCertificate) b = NULL;
  g_autofree char *expected = NULL;

  make_cas (fixture);
  a = issue (fixture, IMEI1, "p256.csr.pem");
  b = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI2, "nrfcloud" }, csr, &error);

  files = ca_ledger_export_nrfcloud_csv (fixture->ledger, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (files->len, ==, 1);
  expected = g_strdup_printf ("nrf-" IMEI2 ",,,APP|MODEM,\"%s\"\n" IMEI1 ",,,APP|MODEM,\"%s\"\n", b->pem, a->pem);
  g_assert_cmpstr (files->pdata[0], ==, expected);
}

/* What the workspace's thread runner does: every operation on a worker thread,
 * each on its own thread's statements, while the ledger was opened on another. */
static gpointer
operations_thread (gpointer data)
{
  Fixture *fixture = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CaAuthority) root = NULL;
  g_autoptr(CaAuthority) sub = NULL;
  g_autoptr(CaCsr) csr = fixture_csr ("p256.csr.pem");
  g_autoptr(CaCertificate) cert = NULL;
  g_autoptr(GPtrArray) gone = NULL;
  g_autoptr(GBytes) crl_bytes = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  gint64 checked = 0;

  g_assert_true (ca_ledger_unlock (fixture->ledger, PASS, &error));
  g_assert_no_error (error);

  root = ca_ledger_create_authority (fixture->ledger, &(CaAuthorityRequest) { "Root", NULL, CA_KEY_EC_P384, 0, -1 },
                                     &error);
  g_assert_no_error (error);
  g_assert_cmpint (root->key_type, ==, CA_KEY_EC_P384);
  sub = ca_ledger_create_authority (fixture->ledger, &(CaAuthorityRequest) { "Issuing", "Root", CA_KEY_EC_P256, 0, 0 },
                                    &error);
  g_assert_no_error (error);

  cert = ca_ledger_issue (fixture->ledger, &(CaIssueRequest) { "Issuing", IMEI1 }, csr, &error);
  g_assert_no_error (error);

  gone = ca_ledger_revoke (fixture->ledger, &(CaRevokeRequest) { "Issuing", .serial = cert->serial, .sec_tag = -1 },
                           &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gone->len, ==, 1);

  crl_bytes = ca_ledger_generate_crl (fixture->ledger, "Issuing", 1, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (crl_bytes), >, 0);

  rows = ca_ledger_list_fleet (fixture->ledger, &(CaFleetQuery) { CA_FLEET_REVOKED }, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);

  g_assert_true (ca_ledger_verify_audit (fixture->ledger, &checked, NULL, &error));
  g_assert_cmpint (checked, ==, 6);

  return NULL;
}

static void
test_threads (Fixture       *fixture,
              gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  gint64 checked = 0;

  g_thread_join (g_thread_new ("ledger-operations", operations_thread, fixture));

  /* The thread's changes are there for the thread that opened the ledger. */
  g_assert_true (ca_ledger_verify_audit (fixture->ledger, &checked, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (checked, ==, 6);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD_BOTH ("/ca/fleet/device-seen", test_device_seen);
  ADD_BOTH ("/ca/fleet/installs-and-lookup", test_installs_and_lookup);
  ADD_BOTH ("/ca/fleet/pages", test_fleet_pages);
  ADD_BOTH ("/ca/fleet/search", test_fleet_search);
  ADD_BOTH ("/ca/fleet/index", test_fleet_index);
  ADD_BOTH ("/ca/fleet/sort", test_fleet_sort);
  g_test_add_func ("/ca/fleet/order-strings", test_fleet_order_strings);
  ADD ("/ca/fleet/plans", test_fleet_plans);
  ADD ("/ca/fleet/migrate-v3", test_fleet_migrate_v3);
  ADD ("/ca/fleet/sort-plans", test_fleet_sort_plans);
  if (test_pg_uri () != NULL)
    g_test_add ("/pg/ca/fleet/sort-plans", Fixture, test_pg_uri (), fixture_set_up, test_fleet_sort_plans_server,
                fixture_tear_down);
  if (test_pg_uri () != NULL)
    g_test_add ("/pg/ca/fleet/sort-generic-plans", Fixture, test_pg_uri (), fixture_set_up,
                test_fleet_sort_generic_plans, fixture_tear_down);
  ADD ("/ca/fleet/migrate-v6", test_fleet_migrate_v6);
  ADD_BOTH ("/ca/fleet/keygen-install", test_keygen_install);
  ADD_BOTH ("/ca/fleet/history", test_history);
  ADD_BOTH ("/ca/fleet/nrfcloud-csv", test_nrfcloud_csv);
  ADD_BOTH ("/ca/audit/chain", test_audit_chain);
  ADD_BOTH ("/ca/audit/detects-deletion", test_audit_detects_deletion);
  ADD_BOTH ("/ca/threads/all", test_threads);
#undef ADD

  return g_test_run ();
}
