/* ca-file.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "ca-file"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ca-private.h"

static char *
fail_errno (const char  *path,
            int          saved,
            GError     **error)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s cannot be read: %s.", path,
               g_strerror (saved));

  return NULL;
}

/**
 * ca_file_read_bounded:
 *
 * Returns: (transfer full): the contents, NUL-terminated, or %NULL
 */
char *
ca_file_read_bounded (const char  *path,
                      gsize        max_size,
                      gsize       *out_length,
                      GError     **error)
{
  g_autofree char *size_text = NULL;
  struct stat st;
  char *data;
  gsize length = 0;
  gsize capacity;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* O_NONBLOCK: opening a FIFO must not wait for a writer before it is refused. */
  fd = open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return fail_errno (path, errno, error);
  if (fstat (fd, &st) != 0)
    {
      int saved = errno;

      close (fd);
      return fail_errno (path, saved, error);
    }
  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                   "%s is not a regular file (%s). Give the path of a file.", path,
                   S_ISDIR (st.st_mode) ? "it is a folder" : S_ISFIFO (st.st_mode) ? "it is a pipe"
                   : "it is a device or a socket");
      return NULL;
    }
  if ((guint64) st.st_size > max_size)
    {
      close (fd);
      size_text = g_format_size (max_size);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   "%s is larger than %s, far more than such a file holds. Check the file name.",
                   path, size_text);
      return NULL;
    }

  /* One byte more than the size seen, to notice a file that grows meanwhile. */
  capacity = (gsize) st.st_size + 1;
  data = g_malloc (capacity + 1);
  while (length < capacity)
    {
      ssize_t n = read (fd, data + length, capacity - length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          OPENSSL_cleanse (data, capacity + 1);
          g_free (data);
          close (fd);
          return fail_errno (path, saved, error);
        }
      if (n == 0)
        break;
      length += n;
    }
  close (fd);

  if (length == capacity)
    {
      OPENSSL_cleanse (data, capacity + 1);
      g_free (data);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   "%s changed while it was being read. Wait until it is complete and try again.", path);
      return NULL;
    }

  data[length] = '\0';
  if (out_length != NULL)
    *out_length = length;

  return data;
}
