/* fw-cmng.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fw-cmng"

#include "config.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

#include "fw-modem-private.h"

enum {
  OP_WRITE = 0,
  OP_LIST = 1,
  OP_READ = 2,
  OP_DELETE = 3,
};

#define MAX_PASSWORD_LEN 32   /* §6.5 item 5 */

static void
list_line (GString            *lines,
           const FwCredential *credential)
{
  g_string_append_printf (lines, "%%CMNG: %u,%u,\"%s\"\r\n",
                          credential->tag, credential->type, credential->sha);
}

/* mfw >= 2.0.2 parses certificate entries: one or more PEM X.509 certificates (§6.5 item 6). */
static gboolean
certificates_valid (const char *content)
{
  BIO *bio = BIO_new_mem_buf (content, strlen (content));
  const char *p = content;
  guint blocks = 0, parsed = 0;
  X509 *cert;

  while ((p = strstr (p, "-----BEGIN ")) != NULL)
    {
      blocks++;
      p++;
    }
  while ((cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL)) != NULL)
    {
      parsed++;
      X509_free (cert);
    }
  ERR_clear_error ();
  BIO_free (bio);
  return blocks > 0 && parsed == blocks;
}

/* sec_tags the host may write: the user range, plus the TLS decrypt tags on nRF91x1 (§6.3). */
static gboolean
tag_writable (FwModem *self,
              guint64  tag)
{
  if (tag <= FW_SEC_TAG_USER_MAX)
    return TRUE;
  return self->config.profile->is_nrf91x1
         && tag >= FW_SEC_TAG_DECRYPT_MIN && tag <= FW_SEC_TAG_DECRYPT_MAX;
}

static int
cmng_list (FwModem           *self,
           const FwAtCommand *command,
           GString           *lines)
{
  GPtrArray *entries = fw_store_entries (self->device->store);
  gboolean has_tag = fw_at_param_present (command, 1);
  gboolean has_type = fw_at_param_present (command, 2);
  guint64 tag = 0, type = 0;

  if (fw_at_n_params (command) > 3
      || (has_tag && !fw_at_param_uint (command, 1, G_MAXUINT32, &tag))
      || (has_type && (!has_tag || !fw_at_param_uint (command, 2, 255, &type))))
    return FW_STATUS_SYNTAX;

  for (guint i = 0; i < entries->len; i++)
    {
      FwCredential *credential = g_ptr_array_index (entries, i);

      if ((has_tag && credential->tag != tag) || (has_type && credential->type != type))
        continue;
      list_line (lines, credential);
    }
  return FW_STATUS_OK;
}

static gboolean
tag_and_type (const FwAtCommand *command,
              guint64           *tag,
              guint64           *type)
{
  return fw_at_param_uint (command, 1, G_MAXUINT32, tag)
         && fw_at_param_uint (command, 2, 255, type);
}

static int
cmng_read (FwModem           *self,
           const FwAtCommand *command,
           GString           *lines)
{
  const FwCredential *credential;
  guint64 tag, type;

  if (fw_at_n_params (command) != 3 || !tag_and_type (command, &tag, &type))
    return FW_STATUS_SYNTAX;
  credential = fw_store_lookup (self->device->store, tag, type);
  if (credential == NULL)
    return FW_CME_NOT_FOUND;
  /* Keys, PSKs and anything the modem made itself never leave (§6.2). */
  if (type == 2 || type == 3 || credential->origin != FW_ORIGIN_HOST)
    return FW_CME_NO_ACCESS;

  g_string_append_printf (lines, "%%CMNG: %u,%u,\"%s\",\"", credential->tag, credential->type,
                          credential->sha);
  g_string_append_len (lines, (const char *) credential->content, credential->len);
  g_string_append (lines, "\"\r\n");
  return FW_STATUS_OK;
}

static int
cmng_write (FwModem           *self,
            const FwAtCommand *command,
            GString           *lines,
            guint             *busy_ms)
{
  FwStore *store = self->device->store;
  const FwCredential *existing;
  const char *content = fw_at_param_string (command, 3);
  const char *password = fw_at_param_string (command, 4);
  guint64 tag, type;
  gsize len, used;

  if (fw_at_n_params (command) < 4 || fw_at_n_params (command) > 5
      || !tag_and_type (command, &tag, &type) || content == NULL
      || (fw_at_n_params (command) == 5 && (password == NULL
                                            || strlen (password) > MAX_PASSWORD_LEN)))
    return FW_STATUS_SYNTAX;
  if (!tag_writable (self, tag) || type > 4)
    return FW_CME_NO_ACCESS;
  if (self->lte_active)
    return FW_CME_ACTIVE_STATE;
  len = strlen (content);
  if (len == 0)
    return FW_STATUS_SYNTAX;
  if (self->config.profile->validates_certs && type <= 1 && !certificates_valid (content))
    return FW_CME_INVALID_CONTENT;

  existing = fw_store_lookup (store, tag, type);
  used = fw_store_user_bytes (store) - (existing ? existing->len : 0);
  if (used + len > self->config.store_bytes)
    return FW_CME_MEMORY_FULL;
  if (existing != NULL && existing->origin == FW_ORIGIN_KEYGEN)
    return FW_CME_ALREADY_EXISTS;

  fw_store_put (store, tag, type, FW_ORIGIN_HOST, (const guint8 *) content, len);
  *busy_ms += self->config.flash_ms;
  return fw_modem_commit (self) ? FW_STATUS_OK : FW_CME_MEMORY_FAILURE;
}

static int
cmng_delete (FwModem           *self,
             const FwAtCommand *command,
             guint             *busy_ms)
{
  const FwCredential *credential;
  guint64 tag, type;

  if (fw_at_n_params (command) != 3 || !tag_and_type (command, &tag, &type))
    return FW_STATUS_SYNTAX;
  if (self->lte_active)
    return FW_CME_ACTIVE_STATE;
  credential = fw_store_lookup (self->device->store, tag, type);
  if (credential == NULL)
    return FW_CME_NOT_FOUND;
  if (credential->origin == FW_ORIGIN_MODEM)
    return FW_CME_NO_ACCESS;

  fw_store_remove (self->device->store, tag, type);
  *busy_ms += self->config.flash_ms;
  return fw_modem_commit (self) ? FW_STATUS_OK : FW_CME_MEMORY_FAILURE;
}

/* AT%CMNG=<opcode>[,<sec_tag>[,<type>[,<content>[,<passwd>]]]] (§6.1, error order of §10.4). */
int
fw_cmng_handle (FwModem           *self,
                const FwAtCommand *command,
                GString           *lines,
                guint             *busy_ms)
{
  guint64 opcode;

  if (command->kind != FW_AT_SET || !fw_at_param_uint (command, 0, 3, &opcode))
    return FW_STATUS_SYNTAX;

  switch (opcode)
    {
    case OP_WRITE:
      return cmng_write (self, command, lines, busy_ms);
    case OP_LIST:
      return cmng_list (self, command, lines);
    case OP_READ:
      return cmng_read (self, command, lines);
    case OP_DELETE:
    default:
      return cmng_delete (self, command, busy_ms);
    }
}
