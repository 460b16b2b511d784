/* fw-bridge.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fw-bridge"

#include "config.h"

#include <string.h>

#include "fw-bridge.h"
#include "fw-shell.h"

#define BS  0x08
#define DEL 0x7f

struct _FwBridge
{
  gboolean       shell;
  FwTermination  termination;
  char          *prompt;
  gboolean       unescape_lf;
  guint8        *buffer;
  gsize          size;        /* one byte is kept for the terminating NUL (§2.1 item 5) */
  gsize          len;
  gboolean       in_quotes;
  gboolean       last_was_cr;
};

static FwBridge *
bridge_new (gsize buffer_size)
{
  FwBridge *self = g_new0 (FwBridge, 1);

  self->size = MAX (buffer_size, 2);
  self->buffer = g_malloc (self->size);
  return self;
}

FwBridge *
fw_bridge_new_line (FwTermination termination,
                    gsize         buffer_size)
{
  FwBridge *self = bridge_new (buffer_size);

  self->termination = termination;
  return self;
}

FwBridge *
fw_bridge_new_shell (const char *prompt,
                     gboolean    unescape_lf,
                     gsize       buffer_size)
{
  FwBridge *self = bridge_new (buffer_size);

  g_return_val_if_fail (prompt != NULL, NULL);

  self->shell = TRUE;
  self->prompt = g_strdup (prompt);
  self->unescape_lf = unescape_lf;
  return self;
}

void
fw_bridge_free (FwBridge *self)
{
  if (self == NULL)
    return;
  g_free (self->buffer);
  g_free (self->prompt);
  g_free (self);
}

gboolean
fw_bridge_is_shell (FwBridge *self)
{
  return self->shell;
}

void
fw_bridge_reset (FwBridge *self)
{
  self->len = 0;
  self->in_quotes = FALSE;
  self->last_was_cr = FALSE;
}

static gboolean
has_visible_char (const guint8 *data,
                  gsize         len)
{
  for (gsize i = 0; i < len; i++)
    if (data[i] > ' ' && data[i] < DEL)
      return TRUE;
  return FALSE;
}

/* The stored bytes as the modem sees them: a C string, so an embedded NUL ends it. */
static char *
take_line (FwBridge *self)
{
  char *line = g_strndup ((const char *) self->buffer, self->len);

  fw_bridge_reset (self);
  return line;
}

static gboolean
is_terminator (FwBridge *self,
               guint8    byte)
{
  switch (self->termination)
    {
    case FW_TERMINATION_LF:
      return byte == '\n';
    case FW_TERMINATION_CRLF:
      return byte == '\n' && self->len > 0 && self->buffer[self->len - 1] == '\r';
    case FW_TERMINATION_NUL:
      return byte == '\0';
    case FW_TERMINATION_CR:
    default:
      return byte == '\r';
    }
}

/* AT host line mode, byte by byte as lib/at_host does it (§2.1). */
static char *
feed_line (FwBridge *self,
           guint8    byte)
{
  if (byte == BS || byte == DEL)
    {
      if (self->len > 0)
        self->len--;
      return NULL;
    }
  if (!self->in_quotes)
    {
      if (is_terminator (self, byte))
        {
          gboolean visible = has_visible_char (self->buffer, self->len);
          char *line = take_line (self);

          if (visible)
            return line;
          g_free (line);
          return NULL;
        }
      if (byte == '\0')
        return NULL;
    }
  /* Overflow: dropped silently, a closing quote included (§2.1 item 5, §15.1). */
  if (self->len + 1 > self->size - 1)
    return NULL;
  self->buffer[self->len++] = byte;
  if (byte == '"')
    self->in_quotes = !self->in_quotes;
  return NULL;
}

/* The Zephyr shell: echo, line editing, `at <command>` (§2.2, §10.5). */
static char *
feed_shell (FwBridge *self,
            guint8    byte,
            GString  *output)
{
  g_autofree char *line = NULL;
  gboolean after_cr = self->last_was_cr;

  self->last_was_cr = byte == '\r';
  if (byte == '\n' && after_cr)
    return NULL;
  if (byte == BS || byte == DEL)
    {
      if (self->len > 0)
        {
          self->len--;
          g_string_append (output, "\b \b");
        }
      return NULL;
    }
  if (byte != '\r' && byte != '\n')
    {
      if (self->len + 1 > self->size - 1 || byte == '\0')
        return NULL;
      self->buffer[self->len++] = byte;
      g_string_append_c (output, byte);
      return NULL;
    }

  g_string_append (output, "\r\n");
  line = take_line (self);
  self->last_was_cr = byte == '\r';
  return fw_shell_run (line, self->unescape_lf, output, self->prompt);
}

/**
 * fw_bridge_feed:
 * @output: bytes to send back at once (shell echo and messages)
 *
 * Returns: (transfer full) (nullable): the command for the modem that @byte
 *   completed, or %NULL.
 */
char *
fw_bridge_feed (FwBridge *self,
                guint8    byte,
                GString  *output)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->shell ? feed_shell (self, byte, output) : feed_line (self, byte);
}

/* The modem's response as the bridge prints it; the shell adds a line and its prompt. */
void
fw_bridge_wrap_reply (FwBridge *self,
                      GString  *reply)
{
  if (!self->shell)
    return;
  g_string_append (reply, "\r\n");
  g_string_append (reply, self->prompt);
}

void
fw_bridge_prompt (FwBridge *self,
                  GString  *output)
{
  if (self->shell)
    g_string_append (output, self->prompt);
}
