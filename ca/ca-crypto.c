/* ca-crypto.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ca-crypto"

#include "config.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/pkcs12.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "ca-private.h"

#include <malloc.h>
#include <stdlib.h>

/* OpenSSL 3.0 frees some buffers that held key material without wiping them:
 * its decoders copy the decrypted PKCS#8 DER of a CA key into memory that is
 * released with a plain free (providers/implementations/encode_decode). Every
 * block OpenSSL frees is therefore wiped first. Installed before main(), while
 * OpenSSL still allows it (before its first allocation). */
static void *
wiping_malloc (size_t      size,
               const char *file,
               int         line)
{
  return malloc (size);
}

static void
wiping_free (void       *ptr,
             const char *file,
             int         line)
{
  if (ptr != NULL)
    OPENSSL_cleanse (ptr, malloc_usable_size (ptr));
  free (ptr);
}

static void *
wiping_realloc (void       *ptr,
                size_t      size,
                const char *file,
                int         line)
{
  size_t old_size = ptr != NULL ? malloc_usable_size (ptr) : 0;
  void *moved;

  if (size == 0)
    {
      wiping_free (ptr, file, line);
      return NULL;
    }

  moved = malloc (size);
  if (moved == NULL)
    return NULL;
  if (ptr != NULL)
    memcpy (moved, ptr, MIN (old_size, size));
  wiping_free (ptr, file, line);

  return moved;
}

__attribute__((constructor)) static void
install_wiping_allocator (void)
{
  CRYPTO_set_mem_functions (wiping_malloc, wiping_realloc, wiping_free);
}

/* scrypt N=2^14, r=8, p=8: the work of N=2^17, r=8, p=1 in 16 MiB, within
 * OpenSSL's default 32 MiB memory cap so `openssl pkey` still decrypts an
 * exported key (N=2^17 would need 128 MiB). Ledgers written before used p=1;
 * their verifier and keys are rewritten on the first unlock. */
#define SCRYPT_N        16384
#define SCRYPT_R        8
#define SCRYPT_P        8
#define SCRYPT_P_LEGACY 1
#define SALT_LENGTH     16


gint64
ca_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

char *
ca_actor (void)
{
  return g_strdup_printf ("%s@%s", g_get_user_name (), g_get_host_name ());
}

/* Appends OpenSSL's own reason, if any, to @what. */
void
ca_set_openssl_error (GError     **error,
                      int          code,
                      const char  *what)
{
  unsigned long e = ERR_get_error ();
  char reason[256] = "";

  if (e != 0)
    ERR_error_string_n (e, reason, sizeof reason);
  ERR_clear_error ();

  if (reason[0] != '\0')
    g_set_error (error, CA_ERROR, code, "%s (OpenSSL: %s)", what, reason);
  else
    g_set_error_literal (error, CA_ERROR, code, what);
}

char *
ca_hex_upper (const guint8 *data,
              gsize         length)
{
  static const char digits[] = "0123456789ABCDEF";
  char *hex = g_malloc (length * 2 + 1);

  for (gsize i = 0; i < length; i++)
    {
      hex[2 * i] = digits[data[i] >> 4];
      hex[2 * i + 1] = digits[data[i] & 0xf];
    }
  hex[length * 2] = '\0';

  return hex;
}

/* OpenSSL 3.0 looks an algorithm up on every implicit use (EVP_sha256() and
 * friends); fetching each digest once keeps that out of the issuing loop. */
static const EVP_MD *
fetch_once (gsize      *slot,
            const char *name)
{
  if (g_once_init_enter (slot))
    g_once_init_leave (slot, (gsize) EVP_MD_fetch (NULL, name, NULL));

  return (const EVP_MD *) *slot;
}

const EVP_MD *
ca_md_sha1 (void)
{
  static gsize md;

  return fetch_once (&md, "SHA1");
}

const EVP_MD *
ca_md_sha256 (void)
{
  static gsize md;

  return fetch_once (&md, "SHA256");
}

const EVP_MD *
ca_md_sha384 (void)
{
  static gsize md;

  return fetch_once (&md, "SHA384");
}

char *
ca_sha256_hex (const void *data,
               gsize       length)
{
  guint8 digest[32];

  EVP_Digest (data, length, digest, NULL, ca_md_sha256 (), NULL);

  return ca_hex_upper (digest, sizeof digest);
}

/* The SHA-256 hex of @der (from an i2d_ call, which allocated it), then frees it. */
static char *
sha256_hex_take (guint8 *der,
                 int     length)
{
  char *hex = length > 0 ? ca_sha256_hex (der, length) : NULL;

  OPENSSL_free (der);

  return hex;
}

/* The SHA-256 of the SubjectPublicKeyInfo DER: a key's identity across CSRs. */
char *
ca_x509_pubkey_sha256 (const X509_PUBKEY *spki)
{
  guint8 *der = NULL;
  int length = i2d_X509_PUBKEY (spki, &der);

  return sha256_hex_take (der, length);
}

char *
ca_spki_sha256 (EVP_PKEY *key)
{
  guint8 *der = NULL;
  int length = i2d_PUBKEY (key, &der);

  return sha256_hex_take (der, length);
}

/* subjectKeyIdentifier by RFC 5280 §4.2.1.2 method 1: SHA-1 of the public key
 * bits, the same as OpenSSL's "hash". */
gboolean
ca_add_subject_key_id (X509    *cert,
                       GError **error)
{
  const unsigned char *bits = NULL;
  int length = 0;
  guint8 digest[20];
  ASN1_OCTET_STRING *ski = ASN1_OCTET_STRING_new ();
  gboolean ok;

  ok = X509_PUBKEY_get0_param (NULL, &bits, &length, NULL, X509_get_X509_PUBKEY (cert)) &&
       EVP_Digest (bits, length, digest, NULL, ca_md_sha1 (), NULL) &&
       ASN1_OCTET_STRING_set (ski, digest, sizeof digest) &&
       X509_add1_ext_i2d (cert, NID_subject_key_identifier, ski, 0, X509V3_ADD_DEFAULT) == 1;
  ASN1_OCTET_STRING_free (ski);

  if (!ok)
    ca_set_openssl_error (error, CA_ERROR_CRYPTO, "Adding the subject key identifier failed.");

  return ok;
}

/* Modems list the SHA-256 of exactly the bytes they received, and tools send PEM
 * with LF or CRLF line endings (PROTOCOL.md §6.4), so we keep both. */
void
ca_pem_hashes (const char  *pem,
               char       **out_lf,
               char       **out_crlf)
{
  g_autoptr(GString) crlf = g_string_sized_new (strlen (pem) + 64);

  for (const char *p = pem; *p != '\0'; p++)
    {
      if (*p == '\n')
        g_string_append_c (crlf, '\r');
      g_string_append_c (crlf, *p);
    }

  *out_lf = ca_sha256_hex (pem, strlen (pem));
  *out_crlf = ca_sha256_hex (crlf->str, crlf->len);
}

EVP_PKEY *
ca_key_generate (CaKeyType   type,
                 GError    **error)
{
  EVP_PKEY *key = NULL;

  switch (type)
    {
    case CA_KEY_EC_P256:
      key = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
      break;
    case CA_KEY_EC_P384:
      key = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-384");
      break;
    case CA_KEY_RSA_2048:
      key = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 2048);
      break;
    case CA_KEY_RSA_3072:
      key = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 3072);
      break;
    case CA_KEY_RSA_4096:
      key = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 4096);
      break;
    default:
      g_set_error (error, CA_ERROR, CA_ERROR_INVALID_ARGUMENT, "Unknown key type %d.", type);
      return NULL;
    }

  if (key == NULL)
    ca_set_openssl_error (error, CA_ERROR_CRYPTO, "Generating the key failed.");

  return key;
}

/* Classifies @key into the types we sign with, refusing anything else
 * (including EC keys with explicit curve parameters, which have no curve name). */
gboolean
ca_key_describe (EVP_PKEY   *key,
                 CaKeyType  *out_type,
                 GError    **error)
{
  if (EVP_PKEY_is_a (key, "EC"))
    {
      char group[64] = "";
      size_t length = 0;

      char encoding[32] = "";

      /* OpenSSL names explicit parameters that match a known curve, so the
       * encoding is what tells a named curve from explicit parameters. */
      if (!EVP_PKEY_get_utf8_string_param (key, OSSL_PKEY_PARAM_EC_ENCODING, encoding, sizeof encoding, &length) ||
          !g_str_equal (encoding, OSSL_PKEY_EC_ENCODING_GROUP) ||
          !EVP_PKEY_get_utf8_string_param (key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &length))
        {
          ERR_clear_error ();
          g_set_error (error, CA_ERROR, CA_ERROR_POLICY,
                       "The key uses explicit elliptic-curve parameters instead of a named curve. "
                       "Only the named curves P-256 and P-384 are accepted.");
          return FALSE;
        }
      if (g_str_equal (group, "prime256v1") || g_str_equal (group, "P-256"))
        *out_type = CA_KEY_EC_P256;
      else if (g_str_equal (group, "secp384r1") || g_str_equal (group, "P-384"))
        *out_type = CA_KEY_EC_P384;
      else
        {
          g_set_error (error, CA_ERROR, CA_ERROR_POLICY,
                       "The key is on the curve %s. Only P-256 and P-384 are accepted.", group);
          return FALSE;
        }
      return TRUE;
    }

  if (EVP_PKEY_is_a (key, "RSA"))
    {
      int bits = EVP_PKEY_get_bits (key);

      if (bits >= 4096)
        *out_type = CA_KEY_RSA_4096;
      else if (bits >= 3072)
        *out_type = CA_KEY_RSA_3072;
      else if (bits >= 2048)
        *out_type = CA_KEY_RSA_2048;
      else
        {
          g_set_error (error, CA_ERROR, CA_ERROR_POLICY,
                       "The RSA key has only %d bits. Use at least 2048, or better an EC P-256 key.",
                       bits);
          return FALSE;
        }
      return TRUE;
    }

  g_set_error (error, CA_ERROR, CA_ERROR_POLICY,
               "The key type %s is not accepted. Use an EC P-256 or P-384 key.",
               EVP_PKEY_get0_type_name (key) ? EVP_PKEY_get0_type_name (key) : "(unknown)");

  return FALSE;
}

/* SHA-384 for P-384 keys, as RFC 5480 pairs them; SHA-256 otherwise. */
const EVP_MD *
ca_key_digest (EVP_PKEY *key)
{
  CaKeyType type;

  if (ca_key_describe (key, &type, NULL) && type == CA_KEY_EC_P384)
    return ca_md_sha384 ();

  return ca_md_sha256 ();
}

static char *
bio_to_string (BIO *bio)
{
  char *data = NULL;
  long length = BIO_get_mem_data (bio, &data);
  char *copy = g_malloc (length + 1);

  memcpy (copy, data, length);
  copy[length] = '\0';

  return copy;
}

/* PKCS#8 PBES2: scrypt (N=2^14, r=8, p=8, 16-byte random salt) + AES-256-CBC. */
char *
ca_key_encrypt_pem (EVP_PKEY    *key,
                    const char  *passphrase,
                    GError     **error)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());
  PKCS8_PRIV_KEY_INFO *info = NULL;
  X509_ALGOR *algorithm = NULL;
  X509_SIG *sealed = NULL;
  unsigned char salt[SALT_LENGTH];
  char *pem = NULL;

  if (RAND_bytes (salt, sizeof salt) != 1 ||
      (algorithm = PKCS5_pbe2_set_scrypt (EVP_aes_256_cbc (), salt, sizeof salt, NULL,
                                          SCRYPT_N, SCRYPT_R, SCRYPT_P)) == NULL ||
      (info = EVP_PKEY2PKCS8 (key)) == NULL ||
      (sealed = PKCS8_set0_pbe (passphrase, strlen (passphrase), info, algorithm)) == NULL)
    {
      ca_set_openssl_error (error, CA_ERROR_CRYPTO, "Encrypting the private key failed.");
      X509_ALGOR_free (algorithm);
      goto out;
    }

  if (PEM_write_bio_PKCS8 (bio, sealed) != 1)
    ca_set_openssl_error (error, CA_ERROR_CRYPTO, "Encoding the encrypted private key failed.");
  else
    pem = bio_to_string (bio);

out:
  /* PKCS8_set0_pbe took the algorithm only on success; info stays ours. */
  PKCS8_PRIV_KEY_INFO_free (info);
  X509_SIG_free (sealed);
  OPENSSL_cleanse (salt, sizeof salt);

  return pem;
}

/* Reads the scrypt parameters of an encrypted PKCS#8 PEM; FALSE for anything
 * else (a plaintext key, PBKDF2, another cipher). */
static gboolean
read_wrap_params (X509_SIG *sealed,
                  long     *out_n,
                  long     *out_r,
                  long     *out_p)
{
  const X509_ALGOR *algorithm = NULL;
  PBE2PARAM *pbe2 = NULL;
  SCRYPT_PARAMS *params = NULL;
  gboolean ok = FALSE;

  X509_SIG_get0 (sealed, &algorithm, NULL);
  if (OBJ_obj2nid (algorithm->algorithm) != NID_pbes2 ||
      (pbe2 = ASN1_TYPE_unpack_sequence (ASN1_ITEM_rptr (PBE2PARAM), algorithm->parameter)) == NULL ||
      OBJ_obj2nid (pbe2->keyfunc->algorithm) != NID_id_scrypt ||
      OBJ_obj2nid (pbe2->encryption->algorithm) != NID_aes_256_cbc ||
      (params = ASN1_TYPE_unpack_sequence (ASN1_ITEM_rptr (SCRYPT_PARAMS), pbe2->keyfunc->parameter)) == NULL)
    goto out;

  *out_n = ASN1_INTEGER_get (params->costParameter);
  *out_r = ASN1_INTEGER_get (params->blockSize);
  *out_p = ASN1_INTEGER_get (params->parallelizationParameter);
  ok = TRUE;

out:
  SCRYPT_PARAMS_free (params);
  PBE2PARAM_free (pbe2);
  ERR_clear_error ();

  return ok;
}

/* Decrypts a CA key only when it is sealed exactly as ca_key_encrypt_pem() seals
 * it (or, with @legacy, as ledgers before used to): a plaintext key or one with
 * weaker parameters in the ledger was put there by someone else. */
static EVP_PKEY *
decrypt_pem (const char  *pem,
             const char  *passphrase,
             gboolean     legacy,
             GError     **error)
{
  g_autoptr(BIO) bio = BIO_new_mem_buf (pem, -1);
  X509_SIG *sealed = PEM_read_bio_PKCS8 (bio, NULL, NULL, NULL);
  PKCS8_PRIV_KEY_INFO *info = NULL;
  EVP_PKEY *key = NULL;
  long n = 0, r = 0, p = 0;

  if (sealed == NULL || !read_wrap_params (sealed, &n, &r, &p) || n != SCRYPT_N || r != SCRYPT_R ||
      p != (legacy ? SCRYPT_P_LEGACY : SCRYPT_P))
    {
      ERR_clear_error ();
      g_set_error (error, CA_ERROR, CA_ERROR_POLICY,
                   "A CA key in the ledger is not encrypted the way Tagsmith encrypts keys (it is "
                   "plaintext or uses other parameters), so it was not used. Someone changed the ledger: "
                   "restore it from a backup.");
      X509_SIG_free (sealed);
      return NULL;
    }

  info = PKCS8_decrypt (sealed, passphrase, strlen (passphrase));
  if (info != NULL)
    key = EVP_PKCS82PKEY (info);
  if (key == NULL)
    ca_set_openssl_error (error, CA_ERROR_BAD_PASSPHRASE,
                          "A CA key could not be decrypted with the workspace passphrase.");
  PKCS8_PRIV_KEY_INFO_free (info);
  X509_SIG_free (sealed);

  return key;
}

EVP_PKEY *
ca_key_decrypt_pem (const char  *pem,
                    const char  *passphrase,
                    GError     **error)
{
  return decrypt_pem (pem, passphrase, FALSE, error);
}

EVP_PKEY *
ca_key_decrypt_legacy_pem (const char  *pem,
                           const char  *passphrase,
                           GError     **error)
{
  return decrypt_pem (pem, passphrase, TRUE, error);
}

gboolean
ca_key_is_current_wrap (const char *pem)
{
  g_autoptr(BIO) bio = BIO_new_mem_buf (pem, -1);
  X509_SIG *sealed = PEM_read_bio_PKCS8 (bio, NULL, NULL, NULL);
  long n = 0, r = 0, p = 0;
  gboolean current;

  current = sealed != NULL && read_wrap_params (sealed, &n, &r, &p) &&
            n == SCRYPT_N && r == SCRYPT_R && p == SCRYPT_P;
  X509_SIG_free (sealed);
  ERR_clear_error ();

  return current;
}

/* Unencrypted PKCS#8 PEM, only for host-generated device keys the user asked for. */
char *
ca_key_to_plain_pem (EVP_PKEY  *key,
                     GError   **error)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_secmem ());

  if (PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL) != 1)
    {
      ca_set_openssl_error (error, CA_ERROR_CRYPTO, "Encoding the device key failed.");
      return NULL;
    }

  return bio_to_string (bio);
}

static gboolean
scrypt_derive (const char   *passphrase,
               const guint8 *salt,
               gsize         salt_length,
               guint64       p,
               guint8       *out,
               gsize         out_length)
{
  return EVP_PBE_scrypt (passphrase, strlen (passphrase), salt, salt_length,
                         SCRYPT_N, SCRYPT_R, p, 64 * 1024 * 1024, out, out_length) == 1;
}

/* HKDF-SHA256 of the scrypt secret: the verifier and the audit key are two
 * independent outputs, so the stored verifier reveals nothing of the key. */
static gboolean
hkdf_expand (const guint8 *secret,
             gsize         secret_length,
             const char   *info,
             guint8       *out,
             gsize         out_length)
{
  EVP_KDF *kdf = EVP_KDF_fetch (NULL, "HKDF", NULL);
  EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new (kdf) : NULL;
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string (OSSL_KDF_PARAM_DIGEST, (char *) "SHA256", 0),
    OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_KEY, (void *) secret, secret_length),
    OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_INFO, (void *) info, strlen (info)),
    OSSL_PARAM_construct_end (),
  };
  gboolean ok = ctx != NULL && EVP_KDF_derive (ctx, out, out_length, params) == 1;

  EVP_KDF_CTX_free (ctx);
  EVP_KDF_free (kdf);

  return ok;
}

#define VERIFIER_INFO  "tagsmith passphrase verifier"
#define AUDIT_KEY_INFO "tagsmith audit chain key"

/* The verifier ("scrypt2$N$r$p$salt$HKDF(S)") and the audit key from one scrypt run. */
static gboolean
derive_v2 (const char   *passphrase,
           const guint8 *salt,
           gsize         salt_length,
           guint8        out_check[32],
           guint8        out_audit_key[CA_AUDIT_KEY_LENGTH])
{
  guint8 secret[32];
  gboolean ok;

  ok = scrypt_derive (passphrase, salt, salt_length, SCRYPT_P, secret, sizeof secret) &&
       hkdf_expand (secret, sizeof secret, VERIFIER_INFO, out_check, 32) &&
       hkdf_expand (secret, sizeof secret, AUDIT_KEY_INFO, out_audit_key, CA_AUDIT_KEY_LENGTH);
  OPENSSL_cleanse (secret, sizeof secret);

  return ok;
}

char *
ca_verifier_new (const char  *passphrase,
                 guint8       out_audit_key[CA_AUDIT_KEY_LENGTH],
                 GError     **error)
{
  guint8 salt[SALT_LENGTH];
  guint8 check[32];
  g_autofree char *salt_hex = NULL;
  g_autofree char *check_hex = NULL;

  if (RAND_bytes (salt, sizeof salt) != 1 || !derive_v2 (passphrase, salt, sizeof salt, check, out_audit_key))
    {
      ca_set_openssl_error (error, CA_ERROR_CRYPTO, "Deriving the passphrase verifier failed.");
      return NULL;
    }

  salt_hex = ca_hex_upper (salt, sizeof salt);
  check_hex = ca_hex_upper (check, sizeof check);

  return g_strdup_printf ("scrypt2$%d$%d$%d$%s$%s", SCRYPT_N, SCRYPT_R, SCRYPT_P, salt_hex, check_hex);
}

/* Accepts the current verifier, and the one of ledgers before the audit key
 * ("scrypt$N$r$1$salt$scrypt(S)"), which sets @out_legacy: that ledger then
 * needs a new verifier and its keys and chain rewritten. */
gboolean
ca_verifier_check (const char  *verifier,
                   const char  *passphrase,
                   guint8       out_audit_key[CA_AUDIT_KEY_LENGTH],
                   gboolean    *out_legacy,
                   GError     **error)
{
  g_auto(GStrv) parts = g_strsplit (verifier, "$", -1);
  guint8 salt[64];
  guint8 want[32];
  guint8 got[32];
  size_t salt_length = 0;
  size_t hash_length = 0;
  gboolean legacy;
  gboolean ok;

  legacy = g_strv_length (parts) == 6 && g_str_equal (parts[0], "scrypt");
  if (g_strv_length (parts) != 6 || (!legacy && !g_str_equal (parts[0], "scrypt2")) ||
      atoi (parts[1]) != SCRYPT_N || atoi (parts[2]) != SCRYPT_R ||
      atoi (parts[3]) != (legacy ? SCRYPT_P_LEGACY : SCRYPT_P) ||
      !OPENSSL_hexstr2buf_ex (salt, sizeof salt, &salt_length, parts[4], '\0') ||
      !OPENSSL_hexstr2buf_ex (want, sizeof want, &hash_length, parts[5], '\0') ||
      hash_length != sizeof want)
    {
      ERR_clear_error ();
      g_set_error (error, CA_ERROR, CA_ERROR_DATABASE,
                   "The ledger's passphrase verifier is damaged. Restore the ledger from a backup.");
      return FALSE;
    }

  if (legacy ? !scrypt_derive (passphrase, salt, salt_length, SCRYPT_P_LEGACY, got, sizeof got)
             : !derive_v2 (passphrase, salt, salt_length, got, out_audit_key))
    {
      ca_set_openssl_error (error, CA_ERROR_CRYPTO, "Checking the passphrase failed.");
      return FALSE;
    }

  ok = CRYPTO_memcmp (got, want, sizeof got) == 0;
  OPENSSL_cleanse (got, sizeof got);
  if (!ok)
    OPENSSL_cleanse (out_audit_key, CA_AUDIT_KEY_LENGTH);
  *out_legacy = legacy;

  if (!ok)
    g_set_error (error, CA_ERROR, CA_ERROR_BAD_PASSPHRASE,
                 "The passphrase is wrong for this ledger. Nothing was changed; try again with "
                 "the workspace passphrase used when its first CA was created.");

  return ok;
}

/* HMAC-SHA256 of @text under the audit key, as hex. */
char *
ca_hmac_sha256_hex (const guint8 key[CA_AUDIT_KEY_LENGTH],
                    const char  *text,
                    gsize        length)
{
  guint8 mac[32];
  size_t mac_length = 0;

  if (EVP_Q_mac (NULL, "HMAC", NULL, "SHA256", NULL, key, CA_AUDIT_KEY_LENGTH,
                 (const guint8 *) text, length, mac, sizeof mac, &mac_length) == NULL)
    g_error ("HMAC-SHA256 is not available from OpenSSL");

  return ca_hex_upper (mac, mac_length);
}

/* 16 random octets with the top bit clear (positive) and the next one set (so the
 * encoding is always 16 octets): 126 bits from the CSPRNG, within RFC 5280's 20. */
ASN1_INTEGER *
ca_serial_new (char **out_hex)
{
  guint8 bytes[16];
  BIGNUM *bn;
  ASN1_INTEGER *serial;

  if (RAND_bytes (bytes, sizeof bytes) != 1)
    return NULL;
  bytes[0] = (bytes[0] & 0x7f) | 0x40;

  bn = BN_bin2bn (bytes, sizeof bytes, NULL);
  serial = BN_to_ASN1_INTEGER (bn, NULL);
  BN_free (bn);
  *out_hex = ca_hex_upper (bytes, sizeof bytes);

  return serial;
}

char *
ca_x509_to_pem (X509 *cert)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());

  if (PEM_write_bio_X509 (bio, cert) != 1)
    return NULL;

  return bio_to_string (bio);
}

X509 *
ca_x509_from_pem (const char  *pem,
                  GError     **error)
{
  g_autoptr(BIO) bio = BIO_new_mem_buf (pem, -1);
  X509 *cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);

  if (cert == NULL)
    ca_set_openssl_error (error, CA_ERROR_DATABASE, "A certificate in the ledger cannot be read.");

  return cert;
}

gint64
ca_asn1_time_to_unix (const ASN1_TIME *time)
{
  struct tm tm = { 0 };

  if (time == NULL || ASN1_TIME_to_tm (time, &tm) != 1)
    return 0;

  return (gint64) timegm (&tm);
}

char *
ca_name_to_string (const X509_NAME *name)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());

  X509_NAME_print_ex (bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);

  return bio_to_string (bio);
}

char *
ca_name_get_entry (const X509_NAME *name,
                   int              nid)
{
  int index = X509_NAME_get_index_by_NID (name, nid, -1);
  unsigned char *utf8 = NULL;
  char *text;
  int length;

  if (index < 0)
    return NULL;
  length = ASN1_STRING_to_UTF8 (&utf8, X509_NAME_ENTRY_get_data (X509_NAME_get_entry (name, index)));
  if (length < 0)
    return NULL;
  text = g_utf8_make_valid ((const char *) utf8, length);
  OPENSSL_free (utf8);

  return text;
}

/* ASN1_TIME_set picks UTCTime before 2050 and GeneralizedTime from 2050 on,
 * exactly as RFC 5280 §4.1.2.5 requires. */
gboolean
ca_set_validity (X509   *cert,
                 gint64  not_before,
                 gint64  not_after)
{
  ASN1_TIME *before = ASN1_TIME_set (NULL, (time_t) not_before);
  ASN1_TIME *after = ASN1_TIME_set (NULL, (time_t) not_after);
  gboolean ok;

  ok = before != NULL && after != NULL &&
       X509_set1_notBefore (cert, before) && X509_set1_notAfter (cert, after);
  ASN1_TIME_free (before);
  ASN1_TIME_free (after);

  return ok;
}

gboolean
ca_add_extension (X509        *cert,
                  X509        *issuer,
                  int          nid,
                  const char  *value,
                  GError     **error)
{
  X509V3_CTX ctx;
  X509_EXTENSION *extension;
  gboolean ok;

  X509V3_set_ctx (&ctx, issuer != NULL ? issuer : cert, cert, NULL, NULL, 0);
  extension = X509V3_EXT_nconf_nid (NULL, &ctx, nid, value);
  ok = extension != NULL && X509_add_ext (cert, extension, -1);
  X509_EXTENSION_free (extension);

  if (!ok)
    ca_set_openssl_error (error, CA_ERROR_CRYPTO, "Adding a certificate extension failed.");

  return ok;
}

gboolean
ca_sign (X509      *cert,
         EVP_PKEY  *key,
         GError   **error)
{
  if (X509_sign (cert, key, ca_key_digest (key)) <= 0)
    {
      ca_set_openssl_error (error, CA_ERROR_CRYPTO, "Signing the certificate failed.");
      return FALSE;
    }

  return TRUE;
}

char *
ca_serial_to_hex (const ASN1_INTEGER *serial)
{
  BIGNUM *bn = ASN1_INTEGER_to_BN (serial, NULL);
  char *hex = bn != NULL ? BN_bn2hex (bn) : NULL;
  char *copy = g_strdup (hex != NULL ? hex : "");

  OPENSSL_free (hex);
  BN_free (bn);

  return copy;
}
