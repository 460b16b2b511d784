/* ts-dossier-pdf.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-dossier-pdf"

#include "config.h"

#include <cairo-pdf.h>
#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "ts-dossier-private.h"

/* A4 landscape, in points: the unit table needs the width. */
#define PAGE_WIDTH  841.89
#define PAGE_HEIGHT 595.28
#define MARGIN      40.0
#define TEXT_WIDTH  (PAGE_WIDTH - 2 * MARGIN)

typedef struct
{
  cairo_surface_t *surface;
  cairo_t         *cr;
  double           y;
  int              page;
  const char      *lot;
} Pdf;

static const char *
member (JsonObject *object,
        const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static const char *
or_dash (const char *text)
{
  return text != NULL ? text : "–";
}

static JsonArray *
array_member (JsonObject *object,
              const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static JsonObject *
object_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static PangoLayout *
layout_new (Pdf        *pdf,
            const char *font,
            double      width,
            const char *markup)
{
  PangoLayout *layout = pango_cairo_create_layout (pdf->cr);
  PangoFontDescription *description = pango_font_description_from_string (font);

  pango_layout_set_font_description (layout, description);
  pango_font_description_free (description);
  pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_markup (layout, markup, -1);

  return layout;
}

static double
layout_height (PangoLayout *layout)
{
  int height;

  pango_layout_get_size (layout, NULL, &height);

  return (double) height / PANGO_SCALE;
}

static void
footer (Pdf *pdf)
{
  g_autofree char *text = g_markup_printf_escaped (_("Lot %s · page %d"), pdf->lot, pdf->page);
  g_autoptr(PangoLayout) layout = layout_new (pdf, "Sans 7", TEXT_WIDTH, text);

  cairo_set_source_rgb (pdf->cr, 0.4, 0.4, 0.4);
  cairo_move_to (pdf->cr, MARGIN, PAGE_HEIGHT - MARGIN / 2 - 8);
  pango_cairo_show_layout (pdf->cr, layout);
  cairo_set_source_rgb (pdf->cr, 0, 0, 0);
}

/* Starts a new page when @height does not fit on this one. */
static void
need (Pdf    *pdf,
      double  height)
{
  if (pdf->y + height <= PAGE_HEIGHT - MARGIN)
    return;

  footer (pdf);
  cairo_show_page (pdf->cr);
  pdf->page++;
  pdf->y = MARGIN;
}

static void
text (Pdf        *pdf,
      const char *font,
      const char *markup,
      double      space_after)
{
  g_autoptr(PangoLayout) layout = layout_new (pdf, font, TEXT_WIDTH, markup);
  double height = layout_height (layout);

  need (pdf, height);
  cairo_move_to (pdf->cr, MARGIN, pdf->y);
  pango_cairo_show_layout (pdf->cr, layout);
  pdf->y += height + space_after;
}

static void
heading (Pdf        *pdf,
         const char *title)
{
  g_autofree char *markup = g_markup_escape_text (title, -1);

  need (pdf, 60);
  pdf->y += 6;
  text (pdf, "Sans Bold 12", markup, 6);
}

static void
paragraph (Pdf        *pdf,
           const char *format,
           ...) G_GNUC_PRINTF (2, 3);

/* @format is Pango markup; its arguments are escaped. */
static void
paragraph (Pdf        *pdf,
           const char *format,
           ...)
{
  g_autofree char *markup = NULL;
  va_list args;

  va_start (args, format);
  markup = g_markup_vprintf_escaped (format, args);
  va_end (args);
  text (pdf, "Sans 9", markup, 4);
}

/* One table row: cells of markup in columns of @widths; a grey rule below. */
static void
row (Pdf           *pdf,
     const double  *widths,
     guint          n,
     char         **cells,
     gboolean       header)
{
  g_autoptr(GPtrArray) layouts = g_ptr_array_new_with_free_func (g_object_unref);
  double height = 0;
  double x = MARGIN;

  for (guint i = 0; i < n; i++)
    {
      PangoLayout *layout = layout_new (pdf, header ? "Sans Bold 7" : "Sans 7", widths[i] - 6, cells[i]);

      height = MAX (height, layout_height (layout));
      g_ptr_array_add (layouts, layout);
    }

  need (pdf, height + 6);
  for (guint i = 0; i < n; i++)
    {
      cairo_move_to (pdf->cr, x, pdf->y + 3);
      pango_cairo_show_layout (pdf->cr, g_ptr_array_index (layouts, i));
      x += widths[i];
    }
  pdf->y += height + 6;
  cairo_set_source_rgb (pdf->cr, 0.75, 0.75, 0.75);
  cairo_set_line_width (pdf->cr, header ? 0.8 : 0.4);
  cairo_move_to (pdf->cr, MARGIN, pdf->y);
  cairo_line_to (pdf->cr, PAGE_WIDTH - MARGIN, pdf->y);
  cairo_stroke (pdf->cr);
  cairo_set_source_rgb (pdf->cr, 0, 0, 0);
}

static char *
join_array (JsonArray *array)
{
  g_autoptr(GString) joined = g_string_new (NULL);

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    g_string_append_printf (joined, "%s%s", i > 0 ? ", " : "", json_array_get_string_element (array, i));

  return g_string_free (g_steal_pointer (&joined), FALSE);
}

static void
lot_section (Pdf        *pdf,
             JsonObject *dossier)
{
  JsonObject *lot = object_member (dossier, "lot");
  JsonObject *head = object_member (dossier, "audit_head");
  JsonArray *chain = array_member (dossier, "ca_chain");
  JsonArray *server = array_member (dossier, "server_ca");
  g_autofree char *title = g_markup_printf_escaped (_("Production lot %s"), pdf->lot);
  g_autofree char *stations = join_array (array_member (lot, "stations"));
  g_autofree char *operators = join_array (array_member (lot, "operators"));
  g_autofree char *ports = join_array (array_member (lot, "ports"));

  text (pdf, "Sans Bold 18", title, 2);
  paragraph (pdf, _("Evidence dossier made by %s on %s from the Tagsmith ledger."),
             or_dash (member (dossier, "generator")), or_dash (member (dossier, "generated_at")));
  pdf->y += 6;
  paragraph (pdf, _("<b>Dates</b>: first recorded event %s, last %s."),
             or_dash (member (lot, "first_event")), or_dash (member (lot, "last_event")));
  paragraph (pdf, _("<b>Station</b>: %s; serial ports %s."), stations, ports);
  paragraph (pdf, _("<b>Operator</b> (OS user@host of the ledger's events): %s."), operators);
  paragraph (pdf, _("<b>Audit head</b> when this dossier was made: event %" G_GINT64_FORMAT ", hash %s."),
             json_object_get_int_member_with_default (head, "sequence", 0), or_dash (member (head, "hash")));

  heading (pdf, _("Certificate authorities"));
  for (guint i = 0; chain != NULL && i < json_array_get_length (chain); i++)
    {
      JsonObject *ca = json_array_get_object_element (chain, i);

      paragraph (pdf, _("<b>%s</b> (%s, %s): %s; serial %s; valid %s to %s; SHA-256 %s; CRL %s."),
                 or_dash (member (ca, "name")), or_dash (member (ca, "role")), or_dash (member (ca, "status")),
                 or_dash (member (ca, "subject")), or_dash (member (ca, "serial")),
                 or_dash (member (ca, "not_before")), or_dash (member (ca, "not_after")),
                 or_dash (member (ca, "sha256_fingerprint")), or_dash (member (ca, "crl")));
    }
  if (server == NULL || json_array_get_length (server) == 0)
    paragraph (pdf, _("<b>Server CA</b>: none was written to the lot's units."));
  for (guint i = 0; server != NULL && i < json_array_get_length (server); i++)
    {
      JsonObject *ca = json_array_get_object_element (server, i);

      paragraph (pdf, _("<b>Server CA</b> written and verified on %" G_GINT64_FORMAT " units: SHA-256 of the bytes written %s."),
                 json_object_get_int_member_with_default (ca, "units", 0), or_dash (member (ca, "sha256")));
    }
}

static const char *
verification_words (const char *code)
{
  if (g_strcmp0 (code, "cmng-sha256") == 0)
    return _("the modem listed the SHA-256 of the bytes written");
  if (g_strcmp0 (code, "cmng-readback") == 0)
    return _("read back from the modem and compared");
  if (g_strcmp0 (code, "cmng-listed") == 0)
    return _("listed by the modem in its sec_tag (a key cannot be read)");
  return _("not verified");
}

static char *
key_cell (JsonObject *certificate)
{
  JsonObject *evidence = object_member (certificate, "key_evidence");

  if (g_strcmp0 (member (certificate, "key_origin"), "host") == 0)
    return g_strdup (_("Generated on this computer, written to the modem and wiped"));
  if (evidence == NULL)
    return g_strdup (_("In the modem (%KEYGEN); no evidence was recorded"));

  return g_markup_printf_escaped (_("In the modem (%%KEYGEN, audit event %" G_GINT64_FORMAT "): COSE digest, "
                                    "sec_tag and device UUID matched; CSR signature valid"),
                                  json_object_get_int_member_with_default (evidence, "audit_sequence", 0));
}

static char *
verification_cell (JsonObject *certificate)
{
  const struct { const char *member; const char *label; } installs[] = {
    { "certificate_install", N_("certificate") },
    { "key_install", N_("key") },
  };
  g_autoptr(GString) cell = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (installs); i++)
    {
      JsonObject *install = object_member (certificate, installs[i].member);
      g_autofree char *line = NULL;

      if (install == NULL)
        continue;
      line = g_markup_printf_escaped ("%s%s: %s (%s)", cell->len > 0 ? "\n" : "", _(installs[i].label),
                                      or_dash (member (install, "state")),
                                      verification_words (member (install, "verification")));
      g_string_append (cell, line);
    }
  if (cell->len == 0)
    g_string_append (cell, _("not written by Tagsmith"));

  return g_string_free (g_steal_pointer (&cell), FALSE);
}

static void
units_section (Pdf        *pdf,
               JsonObject *dossier)
{
  static const double widths[] = { 118, 72, 188, 32, 130, 130, 91.89 };
  JsonArray *units = array_member (dossier, "units");
  char *header[] = {
    _("IMEI / device UUID"), _("Modem firmware"), _("Certificate serial / SHA-256 fingerprint"),
    _("sec_tag"), _("Key generated"), _("Verified"), _("Result"),
  };

  heading (pdf, _("Units"));
  row (pdf, widths, G_N_ELEMENTS (widths), header, TRUE);
  for (guint i = 0; units != NULL && i < json_array_get_length (units); i++)
    {
      JsonObject *unit = json_array_get_object_element (units, i);
      JsonArray *certificates = array_member (unit, "certificates");
      guint n = certificates != NULL ? json_array_get_length (certificates) : 0;

      if (n == 0)
        {
          g_auto(GStrv) cells = g_new0 (char *, 8);

          cells[0] = g_markup_printf_escaped ("<b>%s</b>\n%s", member (unit, "imei"), or_dash (member (unit, "device_uuid")));
          cells[1] = g_markup_escape_text (or_dash (member (unit, "modem_firmware")), -1);
          cells[2] = g_strdup (_("none issued"));
          cells[3] = g_strdup ("–");
          cells[4] = g_strdup ("–");
          cells[5] = g_strdup ("–");
          cells[6] = g_markup_printf_escaped ("<b>%s</b>\n%s", _("FAIL"), or_dash (member (unit, "reason")));
          row (pdf, widths, 7, cells, FALSE);
          continue;
        }

      for (guint j = 0; j < n; j++)
        {
          JsonObject *certificate = json_array_get_object_element (certificates, j);
          gboolean current = json_object_get_boolean_member_with_default (certificate, "current", FALSE);
          gboolean passed = g_strcmp0 (member (unit, "result"), "pass") == 0;
          g_auto(GStrv) cells = g_new0 (char *, 8);
          g_autofree char *sec_tag = json_object_get_null_member (certificate, "sec_tag")
                                     ? g_strdup ("–")
                                     : g_strdup_printf ("%" G_GINT64_FORMAT,
                                                        json_object_get_int_member (certificate, "sec_tag"));

          cells[0] = g_markup_printf_escaped ("<b>%s</b>\n%s", member (unit, "imei"), or_dash (member (unit, "device_uuid")));
          cells[1] = g_markup_escape_text (or_dash (member (unit, "modem_firmware")), -1);
          cells[2] = g_markup_printf_escaped ("%s (%s, %s)\n<tt>%s</tt>", member (certificate, "serial"),
                                              member (certificate, "ca"), member (certificate, "status"),
                                              or_dash (member (certificate, "sha256_fingerprint")));
          cells[3] = g_strdup (sec_tag);
          cells[4] = key_cell (certificate);
          cells[5] = verification_cell (certificate);
          if (current)
            cells[6] = g_markup_printf_escaped ("<b>%s</b>\n%s", passed ? _("PASS") : _("FAIL"),
                                                or_dash (member (unit, "reason")));
          else
            cells[6] = g_strdup (_("Replaced by a newer certificate"));
          row (pdf, widths, 7, cells, FALSE);
        }
    }
}

static void
events_section (Pdf        *pdf,
                JsonObject *dossier)
{
  JsonArray *failures = array_member (dossier, "failures");
  JsonArray *revocations = array_member (dossier, "revocations");

  heading (pdf, _("Failures and what happened to them"));
  if (failures == NULL || json_array_get_length (failures) == 0)
    paragraph (pdf, _("No failure is recorded for this lot."));
  for (guint i = 0; failures != NULL && i < json_array_get_length (failures); i++)
    {
      JsonObject *failure = json_array_get_object_element (failures, i);
      gboolean later = g_strcmp0 (member (failure, "outcome"), "provisioned-later") == 0;

      paragraph (pdf, _("<b>%s</b>, %s: %s %s"), or_dash (member (failure, "imei")),
                 or_dash (member (failure, "at")), or_dash (member (failure, "detail")),
                 later ? _("The unit was provisioned again and verified.")
                       : _("The unit holds no verified credential from this lot."));
    }

  heading (pdf, _("Revocations touching the lot"));
  if (revocations == NULL || json_array_get_length (revocations) == 0)
    paragraph (pdf, _("None of the lot's certificates, nor any CA of its chain, is revoked."));
  for (guint i = 0; revocations != NULL && i < json_array_get_length (revocations); i++)
    {
      JsonObject *revocation = json_array_get_object_element (revocations, i);

      paragraph (pdf, _("Serial %s of %s (device %s) revoked on %s: %s."), or_dash (member (revocation, "serial")),
                 or_dash (member (revocation, "ca")), or_dash (member (revocation, "imei")),
                 or_dash (member (revocation, "revoked_at")), or_dash (member (revocation, "reason")));
    }
}

static void
count_units (JsonObject *dossier,
             guint      *out_units,
             guint      *out_modem,
             guint      *out_evidence,
             guint      *out_host,
             guint      *out_distinct)
{
  g_autoptr(GHashTable) keys = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *units = array_member (dossier, "units");

  *out_units = *out_modem = *out_evidence = *out_host = 0;
  for (guint i = 0; units != NULL && i < json_array_get_length (units); i++)
    {
      JsonArray *certificates = array_member (json_array_get_object_element (units, i), "certificates");

      (*out_units)++;
      for (guint j = 0; certificates != NULL && j < json_array_get_length (certificates); j++)
        {
          JsonObject *certificate = json_array_get_object_element (certificates, j);

          if (member (certificate, "spki_sha256") != NULL)
            g_hash_table_add (keys, (gpointer) member (certificate, "spki_sha256"));
          if (!json_object_get_boolean_member_with_default (certificate, "current", FALSE))
            continue;
          if (g_strcmp0 (member (certificate, "key_origin"), "host") == 0)
            (*out_host)++;
          else
            (*out_modem)++;
          if (object_member (certificate, "key_evidence") != NULL)
            (*out_evidence)++;
        }
    }
  *out_distinct = g_hash_table_size (keys);
}

static void
statement_section (Pdf        *pdf,
                   JsonObject *dossier)
{
  guint units, modem, evidence, host, distinct;
  JsonArray *failures = array_member (dossier, "failures");
  guint n_certificates = 0;
  JsonArray *all = array_member (dossier, "units");

  for (guint i = 0; all != NULL && i < json_array_get_length (all); i++)
    {
      JsonArray *certificates = array_member (json_array_get_object_element (all, i), "certificates");

      n_certificates += certificates != NULL ? json_array_get_length (certificates) : 0;
    }
  count_units (dossier, &units, &modem, &evidence, &host, &distinct);

  heading (pdf, _("What the evidence shows, by EN 18031 requirement"));
  paragraph (pdf, _("The requirements below are those a maker usually cites from EN 18031-1 for device "
                    "credentials (the confidential cryptographic key and secure storage mechanisms). "
                    "Which clauses apply to the product is the maker's assessment; this dossier gives "
                    "the facts Tagsmith recorded and says where they end."));

  paragraph (pdf, _("<b>A unique key per device.</b> The lot's %u units hold %u certificates with %u distinct "
                    "public keys (their SHA-256 is in dossier.json), each certificate naming its own device."),
             units, n_certificates, distinct);
  paragraph (pdf, _("<i>Where the evidence stops:</i> uniqueness is shown within this ledger only; keys made "
                    "outside Tagsmith are not compared."));

  paragraph (pdf, _("<b>Keys generated inside the modem and never exported.</b> %u current keys were "
                    "generated by the modem with %%KEYGEN, %u of them with recorded evidence: the modem's "
                    "signed answer, whose COSE payload names the SHA-256 of the certificate request, the "
                    "sec_tag and the device UUID, all checked before signing. %u keys were made on this "
                    "computer (--host-key), written once and wiped; the table shows which."),
             modem, evidence, host);
  paragraph (pdf, _("<i>Where the evidence stops:</i> the COSE signature is made with the modem's identity "
                    "key, which only Nordic's service can verify; the token is kept in the ledger and in "
                    "dossier.json so that it can be. That the modem never exports a key is a property of "
                    "its firmware, which Tagsmith cannot observe."));

  paragraph (pdf, _("<b>No shared or default credentials.</b> Every credential Tagsmith wrote is per device, "
                    "and no private key is kept: modem keys never left the modem, host keys were wiped "
                    "after writing."));
  paragraph (pdf, _("<i>Where the evidence stops:</i> Tagsmith knows only the sec_tags it wrote. Passwords, "
                    "API keys or certificates built into the application firmware, and credentials written "
                    "by other tools, are outside what it can see."));

  paragraph (pdf, _("<b>Verification of what was written.</b> Each install is recorded as intended before "
                    "writing and marked verified only after the modem confirmed it (the table says how); "
                    "%u failed or unconfirmed installs are listed above with their outcome."),
             failures != NULL ? json_array_get_length (failures) : 0);
  paragraph (pdf, _("<i>Where the evidence stops:</i> verification is as of provisioning; later changes on "
                    "the device are not seen. The ledger's own integrity is shown by its hash-chained audit "
                    "log, whose head at the time is quoted above, and this folder's by SHA256SUMS and its "
                    "signature (see VERIFY.txt)."));
}

gboolean
_ts_dossier_render_pdf (JsonObject  *dossier,
                        const char  *path,
                        GError     **error)
{
  Pdf pdf = { .y = MARGIN, .page = 1 };
  JsonObject *lot = object_member (dossier, "lot");
  g_autofree char *title = NULL;
  cairo_status_t status;

  pdf.lot = or_dash (member (lot, "name"));
  pdf.surface = cairo_pdf_surface_create (path, PAGE_WIDTH, PAGE_HEIGHT);
  title = g_strdup_printf (_("Evidence dossier of lot %s"), pdf.lot);
  cairo_pdf_surface_set_metadata (pdf.surface, CAIRO_PDF_METADATA_TITLE, title);
  cairo_pdf_surface_set_metadata (pdf.surface, CAIRO_PDF_METADATA_CREATOR, or_dash (member (dossier, "generator")));
  pdf.cr = cairo_create (pdf.surface);

  lot_section (&pdf, dossier);
  units_section (&pdf, dossier);
  events_section (&pdf, dossier);
  statement_section (&pdf, dossier);
  footer (&pdf);

  cairo_destroy (pdf.cr);
  cairo_surface_finish (pdf.surface);
  status = cairo_surface_status (pdf.surface);
  cairo_surface_destroy (pdf.surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not write %s: %s."), path,
                   cairo_status_to_string (status));
      return FALSE;
    }

  return TRUE;
}
