/* ts-workspace.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The one core under the window and the command line. A workspace owns the
 * fleet ledger and its state (not open, locked, unlocked, failed with a reason
 * a person can read), and the leases on serial ports: a port has one owner at a
 * time, and whoever wants it asks the workspace instead of racing for the
 * device node. Every user operation is a synchronous function of the
 * workspace (see the ts-workspace-*.h headers it includes); the window runs them
 * through ts_workspace_run_async(), the only thread runner above ca/.
 *
 * Signals are emitted on the main context that was the thread default when the
 * workspace was made, whichever thread caused them.
 */

#define TS_TYPE_WORKSPACE (ts_workspace_get_type ())

G_DECLARE_FINAL_TYPE (TsWorkspace, ts_workspace, TS, WORKSPACE, GObject)

#define TS_WORKSPACE_ERROR (ts_workspace_error_quark ())

/**
 * TsWorkspaceError:
 * @TS_WORKSPACE_ERROR_NO_LEDGER: the ledger is not open (or could not be opened).
 * @TS_WORKSPACE_ERROR_LOCKED: the operation changes the ledger and needs the
 *   workspace passphrase first.
 * @TS_WORKSPACE_ERROR_PORT_LEASED: another part of Tagsmith holds the port.
 */
typedef enum
{
  TS_WORKSPACE_ERROR_NO_LEDGER,
  TS_WORKSPACE_ERROR_LOCKED,
  TS_WORKSPACE_ERROR_PORT_LEASED,
} TsWorkspaceError;

GQuark ts_workspace_error_quark (void);

typedef enum
{
  TS_WORKSPACE_CLOSED,    /* not opened yet */
  TS_WORKSPACE_LOCKED,    /* open; reading works, changes need the passphrase */
  TS_WORKSPACE_UNLOCKED,  /* open and unlocked */
  TS_WORKSPACE_FAILED,    /* could not be opened: see ts_workspace_get_error() */
} TsWorkspaceState;

typedef enum
{
  TS_WORKSPACE_OPEN_READ_WRITE,  /* creates the ledger if it does not exist */
  TS_WORKSPACE_OPEN_READ_ONLY,   /* never creates or changes the file */
} TsWorkspaceOpenMode;

char             *ts_workspace_default_ledger_path (void);
/* TRUE for a postgresql:// URI, which names a server ledger and never a file. */
gboolean          ts_workspace_location_is_server  (const char           *location);
/* TRUE when @location may hold a ledger already: a file that exists, or any
 * server ledger (only the server can tell; opening it does). Verbs that must
 * never create a ledger ask this first. */
gboolean          ts_workspace_ledger_may_exist    (const char           *location);

TsWorkspace      *ts_workspace_new                 (const char           *ledger_path);
const char       *ts_workspace_get_ledger_path     (TsWorkspace          *self);
gboolean          ts_workspace_open                (TsWorkspace          *self,
                                                    TsWorkspaceOpenMode   mode,
                                                    GError              **error);
TsWorkspaceState  ts_workspace_get_state           (TsWorkspace          *self);
const GError     *ts_workspace_get_error           (TsWorkspace          *self);
gboolean          ts_workspace_was_created         (TsWorkspace          *self);
gboolean          ts_workspace_has_passphrase      (TsWorkspace          *self);
gboolean          ts_workspace_unlock              (TsWorkspace          *self,
                                                    const char           *passphrase,
                                                    GCancellable         *cancellable,
                                                    GError              **error);
void              ts_workspace_lock                (TsWorkspace          *self);
gboolean          ts_workspace_is_unlocked         (TsWorkspace          *self);
gboolean          ts_workspace_is_open             (TsWorkspace          *self);
gboolean          ts_workspace_check_writable      (TsWorkspace          *self,
                                                    GError              **error);
void              ts_workspace_changed             (TsWorkspace          *self);

/* Work for ts_workspace_run_async(): returns a result, or NULL with @error set. */
typedef gpointer (*TsWorkspaceJob) (TsWorkspace   *workspace,
                                    gpointer       data,
                                    GCancellable  *cancellable,
                                    GError       **error);

void              ts_workspace_run_async           (TsWorkspace          *self,
                                                    TsWorkspaceJob        job,
                                                    gpointer              data,
                                                    GDestroyNotify        data_free,
                                                    GDestroyNotify        result_free,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gpointer          ts_workspace_run_finish          (TsWorkspace          *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/*
 * Port leases. A brief lease (identifying a kit that just appeared) makes
 * others wait for it; a held lease (a device window, a unit on the line) makes
 * others fail at once with an error that names the holder.
 */
typedef struct _TsPortLease TsPortLease;

typedef enum
{
  TS_PORT_LEASE_HELD,
  TS_PORT_LEASE_BRIEF,
} TsPortLeaseKind;

TsPortLease      *ts_workspace_lease_port          (TsWorkspace          *self,
                                                    const char           *path,
                                                    const char           *holder,
                                                    TsPortLeaseKind       kind,
                                                    GCancellable         *cancellable,
                                                    GError              **error);
char             *ts_workspace_dup_port_holder     (TsWorkspace          *self,
                                                    const char           *path);
const char       *ts_port_lease_get_path           (TsPortLease          *lease);
void              ts_port_lease_release            (TsPortLease          *lease);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsPortLease, ts_port_lease_release)

G_END_DECLS
