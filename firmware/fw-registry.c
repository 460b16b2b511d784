/* fw-registry.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fw-registry"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "fw-registry.h"

/* $XDG_RUNTIME_DIR/tagsmith/emulators; g_get_user_runtime_dir() reads the variable
 * itself and falls back when it is unset. */
static char *
registry_dir (void)
{
  return g_build_filename (g_get_user_runtime_dir (), "tagsmith", "emulators", NULL);
}

/**
 * fw_registry_add:
 * @link: (nullable): the --link path
 *
 * Announces this emulator to device discovery, written atomically.
 *
 * Returns: (transfer full) (nullable): the file to remove at exit
 */
char *
fw_registry_add (const char       *port,
                 const char       *link,
                 const FwProfile  *profile,
                 const char       *imei,
                 GError          **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *dir = registry_dir ();
  g_autofree char *name = g_strdup_printf ("%d.emulator", (int) getpid ());
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *data = NULL;
  gsize len;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "Could not create %s: %s", dir, g_strerror (errno));
      return NULL;
    }
  g_key_file_set_string (file, "Emulator", "Port", port);
  if (link != NULL)
    g_key_file_set_string (file, "Emulator", "Link", link);
  g_key_file_set_string (file, "Emulator", "Profile", profile->name);
  g_key_file_set_string (file, "Emulator", "Imei", imei);
  g_key_file_set_string (file, "Emulator", "Model", profile->model);
  g_key_file_set_int64 (file, "Emulator", "Pid", getpid ());
  data = g_key_file_to_data (file, &len, NULL);
  if (!g_file_set_contents (path, data, len, error))
    return NULL;
  return g_steal_pointer (&path);
}

void
fw_registry_remove (const char *path)
{
  if (path != NULL)
    g_unlink (path);
}
