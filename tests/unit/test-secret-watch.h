/* test-secret-watch.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Watches every block the program frees for a marker: a secret that reaches
 * free() unwiped is counted. It needs AddressSanitizer's free hook, so the
 * tests that use it skip themselves in a build without it.
 */
gboolean secret_watch_available (void);
void     secret_watch_start     (const char *marker);
/* Returns how many freed blocks held the marker since secret_watch_start(). */
guint    secret_watch_stop      (void);

G_END_DECLS
