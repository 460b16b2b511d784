/* ca-csr.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#if !defined(CA_INSIDE) && !defined(CA_COMPILATION)
# error "Only <ca.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/* A parsed PKCS#10 request whose signature has verified (proof of possession). */
typedef struct _CaCsr CaCsr;

CaCsr      *ca_csr_parse             (const void  *data,
                                      gsize        length,
                                      GError     **error) G_GNUC_WARN_UNUSED_RESULT;
CaCsr      *ca_csr_load              (const char  *path,
                                      GError     **error) G_GNUC_WARN_UNUSED_RESULT;
char       *ca_csr_get_subject       (CaCsr       *csr);
char       *ca_csr_get_key_description (CaCsr     *csr);
char       *ca_csr_get_public_key_sha256 (CaCsr   *csr);
CaCsr      *ca_csr_ref               (CaCsr       *csr);
void        ca_csr_unref             (CaCsr       *csr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CaCsr, ca_csr_unref)

G_END_DECLS
