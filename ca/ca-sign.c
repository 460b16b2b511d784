/* ca-sign.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ca-sign"

#include "config.h"

#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca-private.h"
#include "ca-authority.h"
#include "ca-sign.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CMS_ContentInfo, CMS_ContentInfo_free)

static void
free_x509_stack (STACK_OF (X509) *stack)
{
  sk_X509_pop_free (stack, X509_free);
}

/* The issuer's certificate and those above it, for the CMS certificate set, so
 * a verifier holding only the root can build the path. */
static STACK_OF (X509) *
load_chain (const char  *chain_pem,
            GError     **error)
{
  STACK_OF (X509) *chain = sk_X509_new_null ();
  BIO *bio = BIO_new_mem_buf (chain_pem, -1);
  X509 *cert;

  while ((cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL)) != NULL)
    sk_X509_push (chain, cert);
  BIO_free (bio);

  if (sk_X509_num (chain) == 0)
    {
      ca_set_openssl_error (error, CA_ERROR_CRYPTO, "Reading the CA chain failed.");
      free_x509_stack (chain);
      return NULL;
    }

  return chain;
}

static X509 *
issue_signer (CaSigner    *signer,
              const char  *cn,
              EVP_PKEY    *key,
              char       **out_serial,
              GError     **error)
{
  g_autoptr(X509) cert = NULL;

  cert = ca_new_certificate (cn, key, NULL, MAX (ca_now () - 300, signer->chain_not_before),
                             signer->chain_not_after, out_serial, error);
  if (cert == NULL)
    return NULL;

  /* The S/MIME signing purpose `openssl cms -verify` applies by default wants
   * digitalSignature and, when an extended key usage is present, emailProtection. */
  if (!X509_set_issuer_name (cert, X509_get_subject_name (signer->cert)) ||
      !ca_add_extension (cert, signer->cert, NID_basic_constraints, "critical,CA:FALSE", error) ||
      !ca_add_extension (cert, signer->cert, NID_key_usage, "critical,digitalSignature", error) ||
      !ca_add_extension (cert, signer->cert, NID_ext_key_usage, "emailProtection", error) ||
      !ca_add_subject_key_id (cert, error) ||
      !ca_add_extension (cert, signer->cert, NID_authority_key_identifier, "keyid:always", error))
    return NULL;

  if (X509_sign (cert, signer->key, signer->md) <= 0)
    {
      ca_set_openssl_error (error, CA_ERROR_CRYPTO, "Signing the certificate failed.");
      return NULL;
    }

  return g_steal_pointer (&cert);
}

static GBytes *
sign_cms (X509             *cert,
          EVP_PKEY         *key,
          STACK_OF (X509)  *chain,
          GBytes           *content,
          GError          **error)
{
  g_autoptr(CMS_ContentInfo) cms = NULL;
  BIO *in = BIO_new_mem_buf (g_bytes_get_data (content, NULL), (int) g_bytes_get_size (content));
  unsigned char *der = NULL;
  int length;
  GBytes *out;

  cms = CMS_sign (cert, key, chain, in, CMS_DETACHED | CMS_BINARY);
  BIO_free (in);
  length = cms != NULL ? i2d_CMS_ContentInfo (cms, &der) : -1;
  if (length <= 0)
    {
      ca_set_openssl_error (error, CA_ERROR_CRYPTO, "Making the CMS signature failed.");
      return NULL;
    }

  out = g_bytes_new (der, (gsize) length);
  OPENSSL_free (der);

  return out;
}

GBytes *
ca_ledger_sign_detached (CaLedger    *self,
                         const char  *authority,
                         const char  *signer_name,
                         GBytes      *content,
                         GError     **error)
{
  g_auto(CaSigner) signer = { 0 };
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(X509) cert = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *chain_pem = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *pubkey_sha = NULL;
  g_autofree char *sha_lf = NULL;
  g_autofree char *sha_crlf = NULL;
  g_autofree char *content_sha = NULL;
  g_autofree char *details = NULL;
  STACK_OF (X509) *chain = NULL;
  CaCertificate record;
  GString *builder;

  g_return_val_if_fail (CA_IS_LEDGER (self), NULL);
  g_return_val_if_fail (authority != NULL && signer_name != NULL && content != NULL, NULL);

  chain_pem = ca_ledger_export_authority (self, authority, TRUE, error);
  if (chain_pem == NULL || (chain = load_chain (chain_pem, error)) == NULL)
    return NULL;

  ca_ledger_lock_mutex (self);
  if (!ca_signer_load_for_signing (self, authority, &signer, error) ||
      !ca_signer_check_can_issue (&signer, error) ||
      (key = ca_key_generate (CA_KEY_EC_P256, error)) == NULL ||
      (cert = issue_signer (&signer, signer_name, key, &serial, error)) == NULL ||
      (signature = sign_cms (cert, key, chain, content, error)) == NULL)
    goto out;

  pem = ca_x509_to_pem (cert);
  subject = ca_name_to_string (X509_get_subject_name (cert));
  pubkey_sha = ca_spki_sha256 (key);
  ca_pem_hashes (pem, &sha_lf, &sha_crlf);
  content_sha = ca_sha256_hex (g_bytes_get_data (content, NULL), g_bytes_get_size (content));
  builder = ca_details_new ();
  ca_details_add (builder, "ca", authority);
  ca_details_add (builder, "serial", serial);
  ca_details_add (builder, "sha256", sha_lf);
  ca_details_add (builder, "signed_sha256", content_sha);
  details = ca_details_free (builder);

  record = (CaCertificate) {
    .authority_id = signer.id, .serial = serial, .profile = (char *) "signer", .subject = subject,
    .not_before = ca_asn1_time_to_unix (X509_get0_notBefore (cert)),
    .not_after = ca_asn1_time_to_unix (X509_get0_notAfter (cert)), .host_key = TRUE, .issued_at = ca_now (),
    .pem = pem, .sha256_lf = sha_lf, .sha256_crlf = sha_crlf,
  };
  if (!ca_ledger_begin (self, error))
    {
      g_clear_pointer (&signature, g_bytes_unref);
      goto out;
    }
  if (ca_certificate_insert (self, &record, pubkey_sha, error) == 0 ||
      !ca_audit_append (self, "ca.sign", NULL, details, error) ||
      !ca_ledger_commit (self, error))
    {
      ca_ledger_rollback (self);
      g_clear_pointer (&signature, g_bytes_unref);
    }

out:
  ca_ledger_unlock_mutex (self);
  free_x509_stack (chain);

  return g_steal_pointer (&signature);
}
