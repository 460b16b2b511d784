/* ts-fleet-export.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-fleet-export"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ts-fleet-export.h"
#include "ts-output.h"
#include "ts-workspace-ca.h"

#define PAGE_SIZE 1000

static const char * const format_names[] = {
  [TS_FLEET_EXPORT_NRFCLOUD_CSV] = "nrfcloud-csv",
  [TS_FLEET_EXPORT_JSON] = "json",
  [TS_FLEET_EXPORT_AWS] = "aws",
  [TS_FLEET_EXPORT_AZURE] = "azure",
};

gboolean
ts_fleet_export_format_from_string (const char          *text,
                                    TsFleetExportFormat *out_format)
{
  for (guint i = 0; i < G_N_ELEMENTS (format_names); i++)
    if (g_strcmp0 (text, format_names[i]) == 0)
      {
        *out_format = i;
        return TRUE;
      }

  return FALSE;
}

const char *
ts_fleet_export_format_to_string (TsFleetExportFormat format)
{
  g_return_val_if_fail (format < G_N_ELEMENTS (format_names), NULL);

  return format_names[format];
}

static void
export_ca_free (TsFleetExportCa *ca)
{
  g_free (ca->name);
  g_free (ca->authority);
  g_free (ca);
}

void
ts_fleet_export_free (TsFleetExport *export)
{
  if (export == NULL)
    return;
  g_ptr_array_unref (export->files);
  g_ptr_array_unref (export->cas);
  g_free (export->text);
  g_free (export);
}

/**
 * ts_workspace_for_each_fleet_row:
 *
 * Calls @visit on every device @query selects, a page at a time, so a fleet of
 * a million devices never sits in memory at once. @query's after and limit are
 * ignored.
 */
gboolean
ts_workspace_for_each_fleet_row (TsWorkspace         *self,
                                 const CaFleetQuery  *query,
                                 TsFleetVisitFunc     visit,
                                 gpointer             user_data,
                                 GError             **error)
{
  g_autofree char *after = NULL;

  for (;;)
    {
      CaFleetQuery page_query = *query;
      g_autoptr(GPtrArray) page = NULL;

      page_query.after_imei = after;
      page_query.limit = PAGE_SIZE;
      page = ts_workspace_list_fleet (self, &page_query, error);
      if (page == NULL)
        return FALSE;
      for (guint i = 0; i < page->len; i++)
        if (!visit (page->pdata[i], user_data, error))
          return FALSE;
      if (page->len < PAGE_SIZE)
        return TRUE;
      g_free (after);
      after = g_strdup (((CaFleetRow *) page->pdata[page->len - 1])->imei);
    }
}

static gboolean
make_folder (const char  *folder,
             GError     **error)
{
  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The folder %s cannot be created."), folder);
      return FALSE;
    }

  return TRUE;
}

/* Writes @text as the new file @name of @folder, and counts it in @export. */
static gboolean
write_file (TsFleetExport  *export,
            const char     *folder,
            const char     *name,
            const char     *text,
            GError        **error)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);

  if (!ts_output_write_new_file (path, text, strlen (text), 0644, FALSE, error))
    return FALSE;
  g_ptr_array_add (export->files, g_steal_pointer (&path));

  return TRUE;
}

/* Azure IoT device IDs: at most 128 of [a-z0-9] and -.%_*?!(),:=@$' ; Tagsmith
 * also asks for lower case, which Azure X.509 CA attestation matches against. */
static gboolean
azure_device_id_is_valid (const char *cn)
{
  if (strlen (cn) == 0 || strlen (cn) > 128)
    return FALSE;
  for (const char *p = cn; *p != '\0'; p++)
    if (!(g_ascii_islower (*p) || g_ascii_isdigit (*p) || strchr ("-.%_*?!(),:=@$'", *p) != NULL))
      return FALSE;

  return TRUE;
}

/* An authority name as a file name part: anything but [A-Za-z0-9._-] becomes '_'. */
static char *
file_safe (const char *name)
{
  char *safe = g_strdup (name);

  g_strcanon (safe, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", '_');
  if (safe[0] == '.')
    safe[0] = '_';

  return safe;
}

typedef struct
{
  TsWorkspace   *workspace;
  gboolean       azure;      /* else AWS */
  const char    *ca;         /* (nullable) only this CA's devices */
  const char    *out_dir;
  GHashTable    *ca_chains;  /* authority name -> its PEM chain up to the root */
  GString       *manifest;
  TsFleetExport *export;
} CloudExport;

/* The authority's chain, root last, fetched once per authority. */
static const char *
cloud_ca_chain (CloudExport  *export,
                const char   *authority,
                GError      **error)
{
  char *chain = g_hash_table_lookup (export->ca_chains, authority);

  if (chain == NULL)
    {
      chain = ts_workspace_export_authority (export->workspace, authority, TRUE, error);
      if (chain == NULL)
        return NULL;
      g_hash_table_insert (export->ca_chains, g_strdup (authority), chain);
    }

  return chain;
}

/* The chain without its root (the last certificate): the clouds register the
 * root on its own and expect devices to present the intermediates. */
static char *
chain_without_root (const char *chain)
{
  const char *last = g_strrstr (chain, "-----BEGIN CERTIFICATE-----");

  return g_strndup (chain, last != NULL ? (gsize) (last - chain) : 0);
}

/* One device: its newest valid certificate followed by its issuing intermediates. */
static gboolean
cloud_export_row (CaFleetRow  *row,
                  gpointer     user_data,
                  GError     **error)
{
  CloudExport *export = user_data;
  g_autoptr(GPtrArray) certs = NULL;
  g_autofree char *cn = NULL;
  g_autofree char *intermediates = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *name = NULL;
  CaCertificate *cert;
  const char *chain;

  if (export->ca != NULL && g_strcmp0 (row->authority_name, export->ca) != 0)
    return TRUE;
  certs = ts_workspace_list_certificates (export->workspace, row->imei, TRUE, error);
  if (certs == NULL)
    return FALSE;
  if (certs->len == 0)
    return TRUE;
  cert = certs->pdata[certs->len - 1];

  cn = ts_subject_common_name (cert->subject);
  if (cn == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("The certificate %s of device %s has no common name, which the cloud needs as the device's "
                     "name. Issue it a new certificate with the %s profile."),
                   cert->serial, row->imei, export->azure ? "azure" : "aws");
      ca_error_add_cli_hint (error, _("`tagsmith rekey` or `tagsmith issue --profile %s` issues one."),
                             export->azure ? "azure" : "aws");
      return FALSE;
    }
  if (export->azure && !azure_device_id_is_valid (cn))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("Device %s has the CN \"%s\", which cannot be an Azure IoT device ID: Azure matches the device "
                     "ID to the lower-case CN (letters a-z, digits and -.%%_*?!(),:=@$'). Issue it a new "
                     "certificate with the azure profile, or leave it out by exporting another CA's "
                     "devices."), row->imei, cn);
      ca_error_add_cli_hint (error, _("issue it with --profile azure, or leave it out with --ca."));
      return FALSE;
    }

  chain = cloud_ca_chain (export, cert->authority_name, error);
  if (chain == NULL)
    return FALSE;
  intermediates = chain_without_root (chain);
  pem = g_strconcat (cert->pem, intermediates, NULL);
  name = g_strdup_printf ("device-%s.pem", row->imei);
  if (!write_file (export->export, export->out_dir, name, pem, error))
    return FALSE;

  /* IMEIs, serials and file names need no quoting; a CN might. */
  {
    g_autoptr(GString) quoted = g_string_new (cn);

    g_string_replace (quoted, "\"", "\"\"", 0);
    g_string_append_printf (export->manifest, "%s,\"%s\",%s,%s,%s\n", row->imei, quoted->str, cert->serial,
                            name, cert->authority_name);
  }
  export->export->devices++;

  return TRUE;
}

typedef struct
{
  TsWorkspace   *workspace;
  TsFleetExport *export;
  JsonBuilder   *builder;
} JsonExport;

/* A device's newest valid certificate, with its PEM. */
static gboolean
json_export_row (CaFleetRow  *row,
                 gpointer     user_data,
                 GError     **error)
{
  JsonExport *state = user_data;
  g_autoptr(GPtrArray) certs = ts_workspace_list_certificates (state->workspace, row->imei, TRUE, error);

  if (certs == NULL)
    return FALSE;
  if (certs->len > 0)
    {
      ts_json_add_certificate (state->builder, certs->pdata[certs->len - 1], TRUE);
      state->export->devices++;
    }

  return TRUE;
}

static gboolean
export_nrfcloud (TsWorkspace                 *self,
                 const TsFleetExportRequest  *request,
                 TsFleetExport               *export,
                 GError                     **error)
{
  g_autoptr(GPtrArray) files = ts_workspace_export_nrfcloud_csv (self, error);

  if (files == NULL)
    return FALSE;
  for (guint i = 0; i < files->len; i++)
    {
      const char *text = files->pdata[i];

      /* A row a device, each with its one certificate. */
      for (const char *p = text; (p = strstr (p, "-----BEGIN CERTIFICATE-----")) != NULL; p++)
        export->devices++;
    }
  if (request->folder == NULL)
    {
      if (files->len > 1)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("nRF Cloud takes at most 1000 devices per file and there are more; give --out-dir DIR "
                         "to write %u files."), files->len);
          return FALSE;
        }
      export->text = g_strdup (files->len > 0 ? files->pdata[0] : "");
      return TRUE;
    }

  if (!make_folder (request->folder, error))
    return FALSE;
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *name = g_strdup_printf ("nrfcloud-%03u.csv", i + 1);

      if (!write_file (export, request->folder, name, files->pdata[i], error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
export_json (TsWorkspace                 *self,
             const TsFleetExportRequest  *request,
             TsFleetExport               *export,
             GError                     **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  JsonExport state = { self, export, builder };
  g_autofree char *text = NULL;

  json_builder_begin_array (builder);
  if (!ts_workspace_for_each_fleet_row (self, &(CaFleetQuery) { .filter = CA_FLEET_VALID }, json_export_row,
                                        &state, error))
    return FALSE;
  json_builder_end_array (builder);
  text = ts_json_to_text (builder);

  if (request->folder == NULL)
    {
      export->text = g_steal_pointer (&text);
      return TRUE;
    }

  return make_folder (request->folder, error) &&
         write_file (export, request->folder, "fleet.json", text, error);
}

/* `fleet export --format aws|azure`: a chain a device, the CA files, a manifest. */
static gboolean
export_cloud (TsWorkspace                 *self,
              const TsFleetExportRequest  *request,
              TsFleetExport               *export,
              GError                     **error)
{
  gboolean azure = request->format == TS_FLEET_EXPORT_AZURE;
  const char *ca = request->authority;
  g_autoptr(GHashTable) ca_chains = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GString) manifest = g_string_new (azure ? "imei,device_id,serial,file,ca\n"
                                                    : "imei,thing_name,serial,file,ca\n");
  CloudExport cloud = { self, azure, ca, request->folder, ca_chains, manifest, export };
  GHashTableIter iter;
  gpointer authority, chain;

  if (request->folder == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The %s export writes one file per device; choose a folder for them."),
                   ts_fleet_export_format_to_string (request->format));
      return FALSE;
    }
  if (ca != NULL)
    {
      g_autoptr(CaAuthority) authority_record = ts_workspace_get_authority (self, ca, error);

      if (authority_record == NULL)
        return FALSE;
    }
  if (!make_folder (request->folder, error) ||
      !ts_workspace_for_each_fleet_row (self, &(CaFleetQuery) { .filter = CA_FLEET_VALID }, cloud_export_row,
                                        &cloud, error))
    return FALSE;
  if (export->devices == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("No device%s%s has a valid certificate, so there is nothing to export."),
                   ca != NULL ? _(" of ") : "", ca != NULL ? ca : "");
      return FALSE;
    }
  if (!write_file (export, request->folder, "manifest.csv", manifest->str, error))
    return FALSE;

  g_hash_table_iter_init (&iter, ca_chains);
  while (g_hash_table_iter_next (&iter, &authority, &chain))
    {
      g_autofree char *safe = file_safe (authority);
      g_autofree char *name = g_strdup_printf (azure ? "ca-%s-chain.pem" : "ca-%s.pem", safe);
      g_autofree char *issuing = NULL;
      TsFleetExportCa *written;

      if (!azure)
        {
          /* AWS registers the CA that signed the devices; its chain is the first certificate. */
          const char *end = strstr (chain, "-----END CERTIFICATE-----");

          issuing = end != NULL ? g_strndup (chain, end - (const char *) chain + strlen ("-----END CERTIFICATE-----\n"))
                                : g_strdup (chain);
        }
      if (!write_file (export, request->folder, name, azure ? chain : issuing, error))
        return FALSE;
      written = g_new0 (TsFleetExportCa, 1);
      written->name = g_steal_pointer (&name);
      written->authority = g_strdup (authority);
      g_ptr_array_add (export->cas, written);
    }

  return TRUE;
}

/**
 * ts_workspace_export_fleet:
 *
 * Exports every device with a valid certificate in @request's format. Files
 * are new: an existing one is never overwritten, and the error says so.
 *
 * Returns: (transfer full): what was written, or %NULL with @error set
 */
TsFleetExport *
ts_workspace_export_fleet (TsWorkspace                 *self,
                           const TsFleetExportRequest  *request,
                           GError                     **error)
{
  g_autoptr(TsFleetExport) export = g_new0 (TsFleetExport, 1);
  gboolean ok = FALSE;

  g_return_val_if_fail (TS_IS_WORKSPACE (self), NULL);
  g_return_val_if_fail (request != NULL, NULL);

  export->files = g_ptr_array_new_with_free_func (g_free);
  export->cas = g_ptr_array_new_with_free_func ((GDestroyNotify) export_ca_free);

  switch (request->format)
    {
    case TS_FLEET_EXPORT_NRFCLOUD_CSV:
      ok = export_nrfcloud (self, request, export, error);
      break;

    case TS_FLEET_EXPORT_JSON:
      ok = export_json (self, request, export, error);
      break;

    case TS_FLEET_EXPORT_AWS:
    case TS_FLEET_EXPORT_AZURE:
      ok = export_cloud (self, request, export, error);
      break;

    default:
      g_return_val_if_reached (NULL);
    }

  return ok ? g_steal_pointer (&export) : NULL;
}
