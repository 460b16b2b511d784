/* ts-at-elide.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * AT traffic as it may be shown or kept: a command as sent, or a line of an
 * answer, with what a credential store carries replaced by a note of what was
 * there ("<CA certificate, 1187 bytes, elided>"). Every observer of a modem
 * sees only this form, so no certificate, key, PSK, key password or
 * %KEYGEN/%ATTESTTOKEN output reaches a log.
 */
char *ts_at_elide (const char *line);

G_END_DECLS
