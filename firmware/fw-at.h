/* fw-at.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  FW_AT_ACTION,   /* AT+CGMI */
  FW_AT_READ,     /* AT+CFUN? */
  FW_AT_TEST,     /* AT+CFUN=? */
  FW_AT_SET,      /* AT+CFUN=4 */
} FwAtKind;

typedef struct
{
  gboolean  quoted;
  char     *text;     /* without the quotes; may hold CR and LF */
} FwAtParam;

/* One parsed command line: "AT" followed by a +/% command name and its parameters. */
typedef struct
{
  char      *name;    /* upper case, e.g. "%CMNG"; "" for a bare AT */
  FwAtKind   kind;
  GPtrArray *params;  /* (element-type FwAtParam) */
} FwAtCommand;

FwAtCommand *fw_at_command_parse    (const char        *line);
void         fw_at_command_free     (FwAtCommand       *command);

guint        fw_at_n_params         (const FwAtCommand *command);
gboolean     fw_at_param_present    (const FwAtCommand *command,
                                     guint              index);
gboolean     fw_at_param_uint       (const FwAtCommand *command,
                                     guint              index,
                                     guint64            max,
                                     guint64           *value);
const char  *fw_at_param_string     (const FwAtCommand *command,
                                     guint              index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FwAtCommand, fw_at_command_free)

G_END_DECLS
