/* ts-serial.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ts-serial"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <libserialport.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "ts-modem-error.h"
#include "ts-serial.h"

struct _TsSerial
{
  char                 *path;
  int                   fd;      /* owned unless @port is set, then borrowed from it */
  struct sp_port       *port;    /* (nullable): libserialport's handle for real ports */
  gboolean              claimed; /* exclusive (TIOCEXCL) until freed */
};

/* Looks for a running ModemManager, which probes new ttyACM ports with AT commands
 * of its own (§1.2); /proc/<pid>/comm is readable by everyone. */
gboolean
ts_modem_manager_is_running (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  const char *name;

  if (dir == NULL)
    return FALSE;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *comm_path = NULL;
      g_autofree char *comm = NULL;

      if (!g_ascii_isdigit (name[0]))
        continue;

      comm_path = g_build_filename ("/proc", name, "comm", NULL);
      if (g_file_get_contents (comm_path, &comm, NULL, NULL) &&
          g_str_equal (g_strchomp (comm), "ModemManager"))
        return TRUE;
    }

  return FALSE;
}

/* The classic Linux traps, explained (issue: discovery and transport). */
static void
set_open_error (GError     **error,
                const char  *path,
                int          errsv)
{
  switch (errsv)
    {
    case ENOENT:
    case ENODEV:
    case ENXIO:
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_NOT_FOUND,
                   _("There is no serial port at %s. Check the cable, then run "
                     "`tagsmith devices` to see the ports."), path);
      break;
    case EACCES:
    case EPERM:
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_PERMISSION,
                   _("You may not open %s. Add yourself to the group that owns it "
                     "(usually: sudo usermod -aG dialout $USER), then log out and in again."),
                   path);
      break;
    case EBUSY:
    case EWOULDBLOCK:
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_BUSY,
                   _("%s is in use by another program. Close terminals (minicom, screen, "
                     "nRF Connect, LTE Link Monitor) that have it open.%s"), path,
                   ts_modem_manager_is_running ()
                     ? _(" ModemManager is running and may be probing the port: add a udev "
                         "rule with ENV{ID_MM_DEVICE_IGNORE}=\"1\" for the kit.")
                     : "");
      break;
    default:
      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_FAILED,
                   _("Could not open %s: %s."), path, g_strerror (errsv));
      break;
    }
}

/* Raw 115200 8N1, optional RTS/CTS, DTR asserted (§11). A pty may refuse
 * TIOCMBIS; that is harmless, since nothing there waits for DTR. */
static gboolean
configure_termios (int          fd,
                   gboolean     rtscts,
                   const char  *path,
                   GError     **error)
{
  struct termios tio;
  int dtr = TIOCM_DTR;

  if (tcgetattr (fd, &tio) != 0)
    {
      int errsv = errno;

      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_FAILED,
                   _("%s is not a serial port (%s). Give the modem's tty, e.g. /dev/ttyACM0."),
                   path, g_strerror (errsv));
      return FALSE;
    }

  cfmakeraw (&tio);
  cfsetispeed (&tio, B115200);
  cfsetospeed (&tio, B115200);
  tio.c_cflag &= ~(CSIZE | PARENB | CSTOPB | CRTSCTS);
  tio.c_cflag |= CS8 | CLOCAL | CREAD | (rtscts ? CRTSCTS : 0);
  tio.c_cc[VMIN] = 0;
  tio.c_cc[VTIME] = 0;

  if (tcsetattr (fd, TCSANOW, &tio) != 0)
    {
      int errsv = errno;

      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_FAILED,
                   _("Could not configure %s: %s."), path, g_strerror (errsv));
      return FALSE;
    }

  (void) ioctl (fd, TIOCMBIS, &dtr);
  return TRUE;
}

/* Keeps other programs (and a second Tagsmith) off the port while it is ours. */
static gboolean
claim_port (int          fd,
            const char  *path,
            GError     **error)
{
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      set_open_error (error, path, errno);
      return FALSE;
    }

  (void) ioctl (fd, TIOCEXCL);
  return TRUE;
}

static TsSerial *
open_with_libserialport (struct sp_port  *port,
                         const char      *path,
                         gboolean         rtscts,
                         GError         **error)
{
  g_autoptr(TsSerial) serial = g_new0 (TsSerial, 1);

  serial->path = g_strdup (path);
  serial->fd = -1;

  if (sp_open (port, SP_MODE_READ_WRITE) != SP_OK)
    {
      set_open_error (error, path, sp_last_error_code ());
      sp_free_port (port);
      return NULL;
    }
  serial->port = port;

  if (sp_set_baudrate (port, 115200) != SP_OK || sp_set_bits (port, 8) != SP_OK ||
      sp_set_parity (port, SP_PARITY_NONE) != SP_OK || sp_set_stopbits (port, 1) != SP_OK ||
      sp_set_flowcontrol (port, rtscts ? SP_FLOWCONTROL_RTSCTS : SP_FLOWCONTROL_NONE) != SP_OK ||
      sp_get_port_handle (port, &serial->fd) != SP_OK)
    {
      g_autofree char *message = sp_last_error_message ();

      g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_FAILED,
                   _("Could not configure %s: %s."), path, message);
      sp_free_error_message (g_steal_pointer (&message));
      return NULL;
    }

  /* Without DTR the kit's interface MCU does not drive the UART (§1.2). */
  (void) sp_set_dtr (port, SP_DTR_ON);

  if (!claim_port (serial->fd, path, error) ||
      !g_unix_set_fd_nonblocking (serial->fd, TRUE, error))
    return NULL;
  serial->claimed = TRUE;

  return g_steal_pointer (&serial);
}

/* Takes @fd, already configured. */
static TsSerial *
wrap_fd (int          fd,
         const char  *label,
         GError     **error)
{
  TsSerial *serial;

  if (!g_unix_set_fd_nonblocking (fd, TRUE, error))
    {
      close (fd);
      return NULL;
    }

  serial = g_new0 (TsSerial, 1);
  serial->path = g_strdup (label != NULL ? label : "serial port");
  serial->fd = fd;

  return serial;
}

/**
 * ts_serial_open:
 *
 * Opens a real port through libserialport, or anything libserialport refuses
 * (pseudo-terminals, symlinks to them) through termios.
 *
 * Returns: (transfer full) (nullable): the open port
 */
TsSerial *
ts_serial_open (const char  *path,
                gboolean     rtscts,
                GError     **error)
{
  struct sp_port *port = NULL;
  TsSerial *serial;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);

  if (sp_get_port_by_name (path, &port) == SP_OK)
    return open_with_libserialport (port, path, rtscts, error);

  fd = open (path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    {
      set_open_error (error, path, errno);
      return NULL;
    }

  if (!configure_termios (fd, rtscts, path, error) || !claim_port (fd, path, error))
    {
      close (fd);
      return NULL;
    }

  if ((serial = wrap_fd (fd, path, error)) != NULL)
    serial->claimed = TRUE;
  return serial;
}

/**
 * ts_serial_new_for_fd:
 * @fd: an open tty or pty; ownership passes to the new object
 * @label: what errors call it, usually its path
 *
 * Returns: (transfer full) (nullable): the port
 */
TsSerial *
ts_serial_new_for_fd (int          fd,
                      const char  *label,
                      GError     **error)
{
  g_return_val_if_fail (fd >= 0, NULL);

  if (isatty (fd) && !configure_termios (fd, FALSE, label, error))
    {
      close (fd);
      return NULL;
    }

  return wrap_fd (fd, label, error);
}

void
ts_serial_free (TsSerial *serial)
{
  if (serial == NULL)
    return;

  /* The exclusive mode outlives our descriptor while another one holds the
   * tty open (an emulator holds its pty): the next program, or our own next
   * session, would find the port busy. */
  if (serial->claimed)
    (void) ioctl (serial->fd, TIOCNXCL);

  if (serial->port != NULL)
    {
      sp_close (serial->port);
      sp_free_port (serial->port);
    }
  else if (serial->fd >= 0)
    close (serial->fd);

  g_free (serial->path);
  g_free (serial);
}

const char *
ts_serial_get_path (TsSerial *serial)
{
  g_return_val_if_fail (serial != NULL, NULL);

  return serial->path;
}

gboolean
ts_serial_uses_termios (TsSerial *serial)
{
  g_return_val_if_fail (serial != NULL, FALSE);

  return serial->port == NULL;
}

static void
set_disconnected (TsSerial  *serial,
                  GError   **error)
{
  g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_DISCONNECTED,
               _("The connection to %s was lost. Check the USB cable and that the device "
                 "is powered, then try again."), serial->path);
}

/* Waits for @events on the port until @deadline_us (monotonic); returns 1 when
 * ready, 0 on timeout, -1 with @error set on cancellation or hang-up. */
static int
wait_for (TsSerial      *serial,
          short          events,
          gint64         deadline_us,
          GCancellable  *cancellable,
          GError       **error)
{
  for (;;)
    {
      struct pollfd fds[2] = { { serial->fd, events, 0 }, { -1, POLLIN, 0 } };
      gint64 remaining = deadline_us - g_get_monotonic_time ();
      GPollFD cancel_fd;
      int nfds = 1;
      int r;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return -1;
      if (remaining <= 0)
        return 0;

      if (g_cancellable_make_pollfd (cancellable, &cancel_fd))
        {
          fds[1].fd = cancel_fd.fd;
          nfds = 2;
        }

      r = poll (fds, nfds, (int) MIN ((remaining + 999) / 1000, G_MAXINT));
      if (nfds == 2)
        g_cancellable_release_fd (cancellable);

      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          set_disconnected (serial, error);
          return -1;
        }
      if (nfds == 2 && fds[1].revents != 0)
        continue;   /* the cancellation check above reports it */
      if (fds[0].revents & events)
        return 1;
      if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))
        {
          set_disconnected (serial, error);
          return -1;
        }
    }
}

/**
 * ts_serial_read:
 *
 * Returns: bytes read, 0 when @deadline_us passed first, -1 with @error set
 */
gssize
ts_serial_read (TsSerial      *serial,
                guint8        *buffer,
                gsize          size,
                gint64         deadline_us,
                GCancellable  *cancellable,
                GError       **error)
{
  g_return_val_if_fail (serial != NULL, -1);

  for (;;)
    {
      int ready = wait_for (serial, POLLIN, deadline_us, cancellable, error);
      gssize n;

      if (ready <= 0)
        return ready;

      n = read (serial->fd, buffer, size);
      if (n > 0)
        return n;
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        continue;

      /* 0 or EIO: the other end is gone. */
      set_disconnected (serial, error);
      return -1;
    }
}

gboolean
ts_serial_write_all (TsSerial      *serial,
                     const guint8  *data,
                     gsize          len,
                     gint64         deadline_us,
                     GCancellable  *cancellable,
                     GError       **error)
{
  gsize done = 0;

  g_return_val_if_fail (serial != NULL, FALSE);

  while (done < len)
    {
      gssize n = write (serial->fd, data + done, len - done);
      int ready;

      if (n > 0)
        {
          done += n;
          continue;
        }
      if (n < 0 && errno != EAGAIN && errno != EINTR)
        {
          set_disconnected (serial, error);
          return FALSE;
        }

      ready = wait_for (serial, POLLOUT, deadline_us, cancellable, error);
      if (ready < 0)
        return FALSE;
      if (ready == 0)
        {
          g_set_error (error, TS_MODEM_ERROR, TS_MODEM_ERROR_TIMEOUT,
                       _("%s does not accept data. If hardware flow control is on, try "
                         "without it."), serial->path);
          return FALSE;
        }
    }

  return TRUE;
}

void
ts_serial_discard_input (TsSerial *serial)
{
  g_return_if_fail (serial != NULL);

  (void) tcflush (serial->fd, TCIFLUSH);
}
