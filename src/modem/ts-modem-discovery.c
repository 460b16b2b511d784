/* ts-modem-discovery.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-modem-discovery"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <libserialport.h>
#include <signal.h>
#include <string.h>

#include "ts-modem-discovery.h"
#include "ts-modem-error.h"

#define VID_SEGGER 0x1366
#define VID_NORDIC 0x1915

/* PROTOCOL.md §1.1. J-Link PIDs vary with the probe's configuration, so
 * SEGGER boards are matched by serial-number prefix, never by PID. */
static const struct
{
  guint16     vid;
  guint16     pid;            /* 0: any */
  const char *serial_prefix;  /* NULL: any */
  const char *board;
} boards[] = {
  { VID_SEGGER, 0,      "0009600",   "nRF9160 DK" },
  { VID_SEGGER, 0,      "0010509",   "nRF9161 DK" },
  { VID_SEGGER, 0,      "0010512",   "nRF9151 DK" },
  { VID_SEGGER, 0,      "0010520",   "nRF9151 DK" },
  { VID_SEGGER, 0,      "0010550",   "Thingy:91 X" },
  { VID_SEGGER, 0,      "0010551",   "Thingy:91 X" },
  { VID_SEGGER, 0,      "0010513",   "Thingy:91 X" },
  { VID_NORDIC, 0x910A, NULL,        "Thingy:91 X" },
  { VID_NORDIC, 0x9100, NULL,        "Thingy:91" },
  { VID_NORDIC, 0,      "THINGY91X", "Thingy:91 X" },
  { VID_NORDIC, 0,      "THINGY91",  "Thingy:91" },
  { VID_NORDIC, 0,      "PCA20035",  "Thingy:91" },
  { VID_SEGGER, 0,      "00105",     "Nordic kit (unknown model)" },
};

/**
 * ts_board_identify:
 * @serial: (nullable): the USB serial number
 *
 * Returns: (transfer none) (nullable): the board name, or %NULL when unknown
 */
const char *
ts_board_identify (guint16     usb_vid,
                   guint16     usb_pid,
                   const char *serial)
{
  for (guint i = 0; i < G_N_ELEMENTS (boards); i++)
    {
      if (boards[i].vid != usb_vid)
        continue;
      if (boards[i].pid != 0 && boards[i].pid != usb_pid)
        continue;
      if (boards[i].serial_prefix != NULL &&
          (serial == NULL || !g_str_has_prefix (serial, boards[i].serial_prefix)))
        continue;
      return boards[i].board;
    }

  return NULL;
}

const char *
ts_port_kind_to_string (TsPortKind kind)
{
  switch (kind)
    {
    case TS_PORT_KIND_BOARD:    return "board";
    case TS_PORT_KIND_EMULATOR: return "emulator";
    default:                    return "unknown";
    }
}

TsPortInfo *
ts_port_info_copy (const TsPortInfo *info)
{
  TsPortInfo *copy;

  g_return_val_if_fail (info != NULL, NULL);

  copy = g_memdup2 (info, sizeof *info);
  copy->path = g_strdup (info->path);
  copy->board = g_strdup (info->board);
  copy->description = g_strdup (info->description);
  copy->serial = g_strdup (info->serial);
  copy->profile = g_strdup (info->profile);
  copy->imei = g_strdup (info->imei);
  copy->model = g_strdup (info->model);

  return copy;
}

void
ts_port_info_free (TsPortInfo *info)
{
  if (info == NULL)
    return;

  g_free (info->path);
  g_free (info->board);
  g_free (info->description);
  g_free (info->serial);
  g_free (info->profile);
  g_free (info->imei);
  g_free (info->model);
  g_free (info);
}

/* libserialport 0.1.1 cannot tell USB interfaces apart; Linux sysfs can. */
static int
usb_interface_number (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *sysfs = g_build_filename ("/sys/class/tty", base, "device",
                                             "bInterfaceNumber", NULL);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (sysfs, &text, NULL, NULL))
    return -1;

  return (int) g_ascii_strtoll (g_strstrip (text), NULL, 16);
}

static TsPortInfo *
port_info_from_sp (struct sp_port *port)
{
  TsPortInfo *info = g_new0 (TsPortInfo, 1);
  const char *serial;
  int vid = 0, pid = 0;

  info->kind = TS_PORT_KIND_UNKNOWN;
  info->path = g_strdup (sp_get_port_name (port));
  info->description = g_strdup (sp_get_port_description (port));
  info->interface = -1;

  if (sp_get_port_transport (port) == SP_TRANSPORT_USB &&
      sp_get_port_usb_vid_pid (port, &vid, &pid) == SP_OK)
    {
      info->usb_vid = (guint16) vid;
      info->usb_pid = (guint16) pid;
      serial = sp_get_port_usb_serial (port);
      info->serial = g_strdup (serial);
      info->interface = usb_interface_number (info->path);
      info->board = g_strdup (ts_board_identify (info->usb_vid, info->usb_pid, serial));
      if (info->board != NULL)
        info->kind = TS_PORT_KIND_BOARD;
    }

  return info;
}

/* A kit shows several ports; only the lowest interface carries AT (§1.1). */
static gboolean
is_trace_port (GPtrArray        *ports,
               const TsPortInfo *info)
{
  if (info->kind != TS_PORT_KIND_BOARD || info->serial == NULL)
    return FALSE;

  for (guint i = 0; i < ports->len; i++)
    {
      const TsPortInfo *other = ports->pdata[i];

      if (other == info || g_strcmp0 (other->serial, info->serial) != 0 ||
          other->usb_vid != info->usb_vid)
        continue;
      if ((other->interface >= 0 && other->interface < info->interface) ||
          (other->interface == info->interface && g_strcmp0 (other->path, info->path) < 0))
        return TRUE;
    }

  return FALSE;
}

static gboolean
process_is_alive (GPid pid)
{
  return pid > 0 && (kill (pid, 0) == 0 || errno == EPERM);
}

char *
ts_modem_emulator_dir (void)
{
  return g_build_filename (g_get_user_runtime_dir (), "tagsmith", "emulators", NULL);
}

/**
 * ts_modem_discover_emulators:
 * @directory: where emulators register, usually ts_modem_emulator_dir()
 *
 * Reads each `<pid>.emulator` key file (group `[Emulator]`: Port, Link, Profile,
 * Imei, Model, Pid) and skips entries whose process is gone.
 *
 * Returns: (transfer full) (element-type TsPortInfo): the running emulators
 */
GPtrArray *
ts_modem_discover_emulators (const char *directory)
{
  GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify) ts_port_info_free);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_return_val_if_fail (directory != NULL, found);

  if (!(dir = g_dir_open (directory, 0, NULL)))
    return found;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autoptr(GKeyFile) key_file = g_key_file_new ();
      g_autofree char *file = NULL;
      g_autofree char *port = NULL;
      g_autofree char *link = NULL;
      TsPortInfo *info;
      gint64 pid;

      if (!g_str_has_suffix (name, ".emulator"))
        continue;

      file = g_build_filename (directory, name, NULL);
      if (!g_key_file_load_from_file (key_file, file, G_KEY_FILE_NONE, NULL))
        continue;

      pid = g_key_file_get_int64 (key_file, "Emulator", "Pid", NULL);
      port = g_key_file_get_string (key_file, "Emulator", "Port", NULL);
      if (port == NULL || pid <= 0 || pid > G_MAXINT || !process_is_alive ((GPid) pid))
        continue;

      /* Prefer the stable link when the emulator made one. */
      link = g_key_file_get_string (key_file, "Emulator", "Link", NULL);

      info = g_new0 (TsPortInfo, 1);
      info->kind = TS_PORT_KIND_EMULATOR;
      info->path = link != NULL && link[0] != '\0' ? g_steal_pointer (&link) : g_steal_pointer (&port);
      info->description = g_strdup ("tagsmith-emulator");
      info->interface = -1;
      info->pid = (GPid) pid;
      info->profile = g_key_file_get_string (key_file, "Emulator", "Profile", NULL);
      info->imei = g_key_file_get_string (key_file, "Emulator", "Imei", NULL);
      info->model = g_key_file_get_string (key_file, "Emulator", "Model", NULL);
      info->board = g_strdup (info->model);
      g_ptr_array_add (found, info);
    }

  return found;
}

static int
compare_ports (gconstpointer a,
               gconstpointer b)
{
  const TsPortInfo *pa = *(TsPortInfo * const *) a;
  const TsPortInfo *pb = *(TsPortInfo * const *) b;

  if (pa->kind != pb->kind)
    return (int) pa->kind - (int) pb->kind;

  return g_strcmp0 (pa->path, pb->path);
}

/**
 * ts_modem_discover:
 *
 * Lists known kits (their AT port only), other serial devices (marked unknown)
 * and running emulators, in that order.
 *
 * Returns: (transfer full) (element-type TsPortInfo): the ports
 */
GPtrArray *
ts_modem_discover (GError **error)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify) ts_port_info_free);
  g_autoptr(GPtrArray) emulators = NULL;
  g_autofree char *emulator_dir = NULL;
  GPtrArray *result;
  struct sp_port **list = NULL;
  enum sp_return r;

  r = sp_list_ports (&list);
  if (r != SP_OK)
    {
      g_autofree char *message = sp_last_error_message ();

      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_FAILED,
                   _("Could not list the serial ports: %s."), message);
      sp_free_error_message (g_steal_pointer (&message));
      return NULL;
    }

  for (guint i = 0; list[i] != NULL; i++)
    g_ptr_array_add (all, port_info_from_sp (list[i]));
  sp_free_port_list (list);

  result = g_ptr_array_new_with_free_func ((GDestroyNotify) ts_port_info_free);
  for (guint i = 0; i < all->len; i++)
    if (!is_trace_port (all, all->pdata[i]))
      g_ptr_array_add (result, ts_port_info_copy (all->pdata[i]));

  emulator_dir = ts_modem_emulator_dir ();
  emulators = ts_modem_discover_emulators (emulator_dir);
  for (guint i = 0; i < emulators->len; i++)
    g_ptr_array_add (result, ts_port_info_copy (emulators->pdata[i]));

  g_ptr_array_sort (result, compare_ports);

  return result;
}
