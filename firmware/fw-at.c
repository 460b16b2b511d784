/* fw-at.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fw-at"

#include "config.h"

#include <string.h>

#include "fw-at.h"

static void
param_free (gpointer data)
{
  FwAtParam *param = data;

  g_free (param->text);
  g_free (param);
}

void
fw_at_command_free (FwAtCommand *command)
{
  if (command == NULL)
    return;
  g_free (command->name);
  g_ptr_array_unref (command->params);
  g_free (command);
}

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t';
}

/* Parameters are separated by commas; a quoted string has no escapes (§6.5), and
 * unquoted values may carry spaces around them (`AT%CMNG=1, 42` works, §6.1). */
static gboolean
parse_params (const char *p,
              GPtrArray  *params)
{
  for (;;)
    {
      FwAtParam *param = g_new0 (FwAtParam, 1);

      g_ptr_array_add (params, param);
      while (is_space (*p))
        p++;
      if (*p == '"')
        {
          const char *end = strchr (p + 1, '"');

          if (end == NULL)
            return FALSE;
          param->quoted = TRUE;
          param->text = g_strndup (p + 1, end - p - 1);
          p = end + 1;
          while (is_space (*p))
            p++;
        }
      else
        {
          const char *start = p;
          const char *end;

          while (*p != '\0' && *p != ',' && *p != '"')
            p++;
          if (*p == '"')
            return FALSE;
          end = p;
          while (end > start && is_space (end[-1]))
            end--;
          param->text = g_strndup (start, end - start);
        }
      if (*p == '\0')
        return TRUE;
      if (*p != ',')
        return FALSE;
      p++;
    }
}

/**
 * fw_at_command_parse:
 * @line: the command as the modem received it, leading whitespace and line
 *   terminators already removed
 *
 * Returns: (transfer full) (nullable): the command, or %NULL when @line is not
 *   syntactically an AT command.
 */
FwAtCommand *
fw_at_command_parse (const char *line)
{
  g_autoptr(FwAtCommand) command = g_new0 (FwAtCommand, 1);
  const char *p = line;
  const char *name_start;

  g_return_val_if_fail (line != NULL, NULL);

  command->params = g_ptr_array_new_with_free_func (param_free);
  if (g_ascii_strncasecmp (p, "AT", 2) != 0)
    return NULL;
  p += 2;

  name_start = p;
  if (*p == '+' || *p == '%')
    {
      p++;
      while (g_ascii_isalnum (*p) || *p == '_')
        p++;
      if (p == name_start + 1)
        return NULL;
    }
  command->name = g_ascii_strup (name_start, p - name_start);

  if (*p == '\0')
    command->kind = FW_AT_ACTION;
  else if (strcmp (p, "?") == 0)
    command->kind = FW_AT_READ;
  else if (strcmp (p, "=?") == 0)
    command->kind = FW_AT_TEST;
  else if (*p == '=')
    {
      command->kind = FW_AT_SET;
      if (!parse_params (p + 1, command->params))
        return NULL;
    }
  else
    return NULL;

  if (command->name[0] == '\0' && command->kind != FW_AT_ACTION)
    return NULL;
  return g_steal_pointer (&command);
}

guint
fw_at_n_params (const FwAtCommand *command)
{
  return command->params->len;
}

/* Parameter @index, or %NULL when the command has fewer. */
static const FwAtParam *
param_at (const FwAtCommand *command,
          guint              index)
{
  return index < command->params->len ? g_ptr_array_index (command->params, index) : NULL;
}

gboolean
fw_at_param_present (const FwAtCommand *command,
                     guint              index)
{
  const FwAtParam *param = param_at (command, index);

  return param != NULL && (param->quoted || param->text[0] != '\0');
}

/* An unquoted decimal number no larger than @max. */
gboolean
fw_at_param_uint (const FwAtCommand *command,
                  guint              index,
                  guint64            max,
                  guint64           *value)
{
  const FwAtParam *param = param_at (command, index);
  guint64 v = 0;

  if (param == NULL || param->quoted || param->text[0] == '\0' || strlen (param->text) > 10)
    return FALSE;
  for (const char *c = param->text; *c; c++)
    {
      if (!g_ascii_isdigit (*c))
        return FALSE;
      v = v * 10 + (guint64) (*c - '0');
    }
  if (v > max)
    return FALSE;
  *value = v;
  return TRUE;
}

/* The text of a quoted parameter, or %NULL if it is absent or unquoted. */
const char *
fw_at_param_string (const FwAtCommand *command,
                    guint              index)
{
  const FwAtParam *param = param_at (command, index);

  return param != NULL && param->quoted ? param->text : NULL;
}
