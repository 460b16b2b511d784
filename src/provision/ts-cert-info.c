/* ts-cert-info.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-cert-info"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <ca.h>

#include "ts-cert-info.h"
#include "ts-provision-error.h"

/* Far more than any certificate; a bigger text is not one. */
#define MAX_PEM_LENGTH (256 * 1024)

#define PEM_BEGIN "-----BEGIN "
#define PEM_CERTIFICATE "-----BEGIN CERTIFICATE-----"

static void
extension_free (TsCertExtension *extension)
{
  g_free (extension->name);
  g_free (extension->value);
  g_free (extension);
}

void
ts_cert_info_free (TsCertInfo *info)
{
  if (info == NULL)
    return;

  g_free (info->subject);
  g_free (info->subject_cn);
  g_free (info->organisation);
  g_free (info->issuer);
  g_free (info->serial);
  g_free (info->key_algorithm);
  g_free (info->key_curve);
  g_free (info->signature_algorithm);
  g_clear_pointer (&info->extensions, g_ptr_array_unref);
  g_free (info->sha256);
  g_free (info->sha1);
  g_free (info->pem_sha256);
  g_free (info->pem);
  g_clear_pointer (&info->der, g_bytes_unref);
  g_free (info);
}

static char *
bio_take_string (BIO *bio)
{
  char *data = NULL;
  long length = BIO_get_mem_data (bio, &data);
  char *text = g_strndup (data, length > 0 ? (gsize) length : 0);

  BIO_free (bio);

  return text;
}

static char *
strip_cr (const char *text)
{
  char *copy = g_strdup (text);
  char *to = copy;

  for (const char *from = copy; *from != '\0'; from++)
    if (*from != '\r')
      *to++ = *from;
  *to = '\0';

  return copy;
}

/* Uppercase hex, bytes joined by @separator ("" for none). */
static char *
hex_join (const guint8 *data,
          gsize         length,
          const char   *separator)
{
  GString *hex = g_string_sized_new (length * 3);

  for (gsize i = 0; i < length; i++)
    g_string_append_printf (hex, "%s%02X", i == 0 ? "" : separator, data[i]);

  return g_string_free (hex, FALSE);
}

static char *
digest_hex (const char *algorithm,
            const void *data,
            gsize       length,
            const char *separator)
{
  EVP_MD *md = EVP_MD_fetch (NULL, algorithm, NULL);
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;

  g_assert (md != NULL);
  EVP_Digest (data, length, digest, &digest_length, md, NULL);
  EVP_MD_free (md);

  return hex_join (digest, digest_length, separator);
}

static const char *
extension_title (int nid)
{
  switch (nid)
    {
    case NID_basic_constraints:
      return _("Basic constraints");
    case NID_key_usage:
      return _("Key usage");
    case NID_ext_key_usage:
      return _("Extended key usage");
    case NID_subject_alt_name:
      return _("Subject alternative name");
    case NID_issuer_alt_name:
      return _("Issuer alternative name");
    case NID_subject_key_identifier:
      return _("Subject key identifier");
    case NID_authority_key_identifier:
      return _("Authority key identifier");
    case NID_crl_distribution_points:
      return _("CRL distribution points");
    case NID_info_access:
      return _("Authority information access");
    case NID_certificate_policies:
      return _("Certificate policies");
    case NID_name_constraints:
      return _("Name constraints");
    default:
      return NULL;
    }
}

/* OpenSSL's own text for an extension, one item a line, without its indent. */
static char *
extension_text (X509_EXTENSION *extension,
                int             nid)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  g_autofree char *raw = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  gboolean split_commas = nid == NID_key_usage || nid == NID_ext_key_usage ||
                          nid == NID_subject_alt_name || nid == NID_issuer_alt_name;

  if (X509V3_EXT_print (bio, extension, 0, 0) != 1)
    {
      const ASN1_OCTET_STRING *data = X509_EXTENSION_get_data (extension);
      g_autofree char *hex = hex_join (ASN1_STRING_get0_data (data), ASN1_STRING_length (data), ":");

      BIO_free (bio);
      ERR_clear_error ();
      return g_strdup_printf (_("Not decoded (%d bytes): %s"), ASN1_STRING_length (data), hex);
    }

  raw = bio_take_string (bio);
  lines = g_strsplit (raw, split_commas ? ", " : "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) sublines = g_strsplit (lines[i], "\n", -1);

      for (guint j = 0; sublines[j] != NULL; j++)
        {
          g_strstrip (sublines[j]);
          if (*sublines[j] == '\0')
            continue;
          if (text->len > 0)
            g_string_append_c (text, '\n');
          g_string_append (text, sublines[j]);
        }
    }

  return g_strdup (text->str);
}

static char *
basic_constraints_text (X509 *cert)
{
  BASIC_CONSTRAINTS *constraints = X509_get_ext_d2i (cert, NID_basic_constraints, NULL, NULL);
  char *text;

  if (constraints == NULL)
    return NULL;

  if (!constraints->ca)
    text = g_strdup (_("Certificate authority: no"));
  else if (constraints->pathlen == NULL)
    text = g_strdup (_("Certificate authority: yes\nPath length: unlimited"));
  else
    text = g_strdup_printf (_("Certificate authority: yes\nPath length: %ld"),
                            ASN1_INTEGER_get (constraints->pathlen));
  BASIC_CONSTRAINTS_free (constraints);

  return text;
}

static GPtrArray *
read_extensions (X509 *cert)
{
  GPtrArray *extensions = g_ptr_array_new_with_free_func ((GDestroyNotify) extension_free);

  for (int i = 0; i < X509_get_ext_count (cert); i++)
    {
      X509_EXTENSION *extension = X509_get_ext (cert, i);
      ASN1_OBJECT *object = X509_EXTENSION_get_object (extension);
      int nid = OBJ_obj2nid (object);
      TsCertExtension *item = g_new0 (TsCertExtension, 1);
      const char *title = extension_title (nid);

      if (title != NULL)
        {
          item->name = g_strdup (title);
        }
      else
        {
          char oid[128];

          OBJ_obj2txt (oid, sizeof oid, object, 0);
          item->name = g_strdup (oid);
        }
      item->critical = X509_EXTENSION_get_critical (extension) > 0;
      if (nid == NID_basic_constraints)
        item->value = basic_constraints_text (cert);
      if (item->value == NULL)
        item->value = extension_text (extension, nid);
      g_ptr_array_add (extensions, item);
    }

  return extensions;
}

static void
read_key (TsCertInfo *info,
          X509       *cert)
{
  EVP_PKEY *key = X509_get0_pubkey (cert);
  char group[80];
  size_t group_length = 0;

  if (key == NULL)
    {
      ERR_clear_error ();
      info->key_algorithm = g_strdup (_("Unknown"));
      return;
    }

  info->key_algorithm = g_strdup (EVP_PKEY_get0_type_name (key));
  info->key_bits = EVP_PKEY_get_bits (key);
  if (EVP_PKEY_get_utf8_string_param (key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                      &group_length) == 1)
    {
      const char *nist = EC_curve_nid2nist (OBJ_sn2nid (group));

      info->key_curve = nist != NULL ? g_strdup_printf ("%s (%s)", nist, group) : g_strdup (group);
    }
  ERR_clear_error ();
}

/* Exactly one "-----BEGIN CERTIFICATE-----" block, and no other PEM block (a
 * private key pasted along must never be shown or kept); returns where it starts. */
static const char *
find_one_block (const char  *pem,
                GError     **error)
{
  guint blocks = 0;
  const char *first = NULL;

  for (const char *p = strstr (pem, PEM_BEGIN); p != NULL; p = strstr (p + 1, PEM_BEGIN))
    {
      if (blocks++ == 0)
        first = p;
    }

  if (blocks == 0)
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                   _("This is not a PEM certificate: it has no “-----BEGIN CERTIFICATE-----” line. "
                     "Give the certificate's PEM text."));
      return NULL;
    }
  if (blocks > 1)
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                   _("This text holds %u PEM blocks, and the details are of one certificate. "
                     "Keep only the certificate's own “-----BEGIN CERTIFICATE-----” block."), blocks);
      return NULL;
    }
  if (!g_str_has_prefix (first, PEM_CERTIFICATE))
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                   _("This PEM block is not a certificate. Give the text that starts with "
                     "“-----BEGIN CERTIFICATE-----”."));
      return NULL;
    }

  return first;
}

/**
 * ts_cert_info_new_from_pem:
 * @pem: one certificate's PEM text
 *
 * Returns: (transfer full): the certificate's details, or %NULL with @error set
 *   (%TS_PROVISION_ERROR_INVALID_INPUT) when @pem is not exactly one readable
 *   certificate.
 */
TsCertInfo *
ts_cert_info_new_from_pem (const char  *pem,
                           GError     **error)
{
  g_autofree char *lf = NULL;
  const char *block;
  BIO *bio;
  X509 *cert;
  TsCertInfo *info;

  g_return_val_if_fail (pem != NULL, NULL);

  if (strlen (pem) > MAX_PEM_LENGTH)
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                   _("This text is too long to be one certificate (%zu KB). Give one certificate's PEM."),
                   strlen (pem) / 1024);
      return NULL;
    }
  if ((block = find_one_block (pem, error)) == NULL)
    return NULL;

  /* Text pasted from Windows or read back from a modem may end its lines with CRLF. */
  lf = strip_cr (block);
  bio = BIO_new_mem_buf (lf, -1);
  cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  BIO_free (bio);
  ERR_clear_error ();
  if (cert == NULL)
    {
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                   _("The certificate cannot be read: its PEM block is cut short or damaged. "
                     "Copy the whole text again, up to “-----END CERTIFICATE-----”."));
      return NULL;
    }

  info = ts_cert_info_new_from_x509 (cert, error);
  X509_free (cert);

  return info;
}

/**
 * ts_cert_info_new_from_x509:
 * @cert: a certificate src/provision has read itself
 *
 * Returns: (transfer full): the certificate's details, or %NULL with @error set
 *   (%TS_PROVISION_ERROR_INVALID_INPUT) when it cannot be encoded again.
 */
TsCertInfo *
ts_cert_info_new_from_x509 (X509    *cert,
                            GError **error)
{
  g_autoptr(TsCertInfo) info = NULL;
  const X509_NAME *subject;
  unsigned char *der = NULL;
  int der_length;
  BIO *bio;

  g_return_val_if_fail (cert != NULL, NULL);

  info = g_new0 (TsCertInfo, 1);
  subject = X509_get_subject_name (cert);
  info->subject = ca_name_to_string (subject);
  info->subject_cn = ca_name_get_entry (subject, NID_commonName);
  info->organisation = ca_name_get_entry (subject, NID_organizationName);
  info->issuer = ca_name_to_string (X509_get_issuer_name (cert));
  info->serial = ca_serial_to_hex (X509_get0_serialNumber (cert));
  info->version = (int) X509_get_version (cert) + 1;
  info->not_before = ca_asn1_time_to_unix (X509_get0_notBefore (cert));
  info->not_after = ca_asn1_time_to_unix (X509_get0_notAfter (cert));
  read_key (info, cert);
  info->signature_algorithm = g_strdup (OBJ_nid2ln (X509_get_signature_nid (cert)));
  info->self_signed = X509_NAME_cmp (subject, X509_get_issuer_name (cert)) == 0;
  info->is_ca = X509_check_ca (cert) != 0;
  info->extensions = read_extensions (cert);

  der_length = i2d_X509 (cert, &der);
  bio = BIO_new (BIO_s_mem ());
  PEM_write_bio_X509 (bio, cert);
  info->pem = bio_take_string (bio);
  if (der_length <= 0)
    {
      ERR_clear_error ();
      g_set_error (error, TS_PROVISION_ERROR, TS_PROVISION_ERROR_INVALID_INPUT,
                   _("The certificate cannot be read: its encoding is damaged."));
      return NULL;
    }
  info->der = g_bytes_new (der, der_length);
  info->sha256 = digest_hex ("SHA256", der, der_length, ":");
  info->sha1 = digest_hex ("SHA1", der, der_length, ":");
  OPENSSL_free (der);
  info->pem_sha256 = digest_hex ("SHA256", info->pem, strlen (info->pem), "");

  return g_steal_pointer (&info);
}

/* "EC P-256 (prime256v1), 256 bits" or "RSA, 2048 bits". */
char *
ts_cert_info_describe_key (const TsCertInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);

  if (info->key_curve != NULL)
    return g_strdup_printf (_("%s %s, %u bits"), info->key_algorithm, info->key_curve, info->key_bits);
  if (info->key_bits > 0)
    return g_strdup_printf (_("%s, %u bits"), info->key_algorithm, info->key_bits);

  return g_strdup (info->key_algorithm);
}
