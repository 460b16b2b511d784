/* ts-fleet-export.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <ca.h>

#include "ts-workspace.h"

G_BEGIN_DECLS

/*
 * The fleet's devices with a valid certificate, exported for a cloud service:
 * one operation that the command line and the window both call, and that
 * says what it wrote.
 */
typedef enum
{
  TS_FLEET_EXPORT_NRFCLOUD_CSV,  /* nRF Cloud's bulk onboarding, at most 1000 devices a file */
  TS_FLEET_EXPORT_JSON,          /* each device's newest valid certificate, with its PEM */
  TS_FLEET_EXPORT_AWS,           /* AWS IoT JITP/JITR: device chains, the issuing CA, a manifest */
  TS_FLEET_EXPORT_AZURE,         /* Azure IoT Hub/DPS: device chains, the CA chain, a manifest */
} TsFleetExportFormat;

gboolean    ts_fleet_export_format_from_string (const char           *text,
                                                TsFleetExportFormat  *out_format);
const char *ts_fleet_export_format_to_string   (TsFleetExportFormat   format);

/**
 * TsFleetExportRequest:
 * @authority: (nullable): only this CA's devices (AWS and Azure)
 * @folder: (nullable): where to write the files, made if missing. Needed by
 *   AWS and Azure; without it nRF Cloud CSV and JSON are returned as text
 *   (nRF Cloud only while the fleet fits one file).
 */
typedef struct
{
  TsFleetExportFormat  format;
  const char          *authority;
  const char          *folder;
} TsFleetExportRequest;

/* A CA file to register with the cloud, and for which authority. */
typedef struct
{
  char *name;       /* the file's name in the folder */
  char *authority;
} TsFleetExportCa;

typedef struct
{
  guint      devices;  /* devices exported */
  GPtrArray *files;    /* (element-type utf8) paths written, in order */
  GPtrArray *cas;      /* (element-type TsFleetExportCa) AWS and Azure */
  char      *text;     /* (nullable) the export itself, when no folder was given */
} TsFleetExport;

void           ts_fleet_export_free        (TsFleetExport               *export);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsFleetExport, ts_fleet_export_free)

TsFleetExport *ts_workspace_export_fleet   (TsWorkspace                 *self,
                                            const TsFleetExportRequest  *request,
                                            GError                     **error) G_GNUC_WARN_UNUSED_RESULT;

/* Calls @visit on every device @query selects, a page at a time. */
typedef gboolean (*TsFleetVisitFunc) (CaFleetRow  *row,
                                      gpointer     user_data,
                                      GError     **error);

gboolean       ts_workspace_for_each_fleet_row (TsWorkspace         *self,
                                                const CaFleetQuery  *query,
                                                TsFleetVisitFunc     visit,
                                                gpointer             user_data,
                                                GError             **error);

G_END_DECLS
