/* test-workspace-leases.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "ts-workspace.h"
#include "ts-workspace-modem.h"

#define PORT "/dev/ttyTEST0"

/* A second party asking for PORT on its own thread. */
typedef struct
{
  TsWorkspace     *workspace;
  TsPortLeaseKind  kind;
  GCancellable    *cancellable;
  gint             asking;     /* (atomic) set just before it asks */
  gint             released;   /* (atomic) set by the first holder before it lets go */
  gboolean         got_after_release;
  TsPortLease     *lease;
  GError          *error;
} Asker;

static gpointer
ask_thread (gpointer data)
{
  Asker *asker = data;

  g_atomic_int_set (&asker->asking, TRUE);
  asker->lease = ts_workspace_lease_port (asker->workspace, PORT, "the production line",
                                          asker->kind, asker->cancellable, &asker->error);
  asker->got_after_release = g_atomic_int_get (&asker->released);

  return NULL;
}

static GThread *
ask (Asker *asker)
{
  GThread *thread = g_thread_new ("asker", ask_thread, asker);

  while (!g_atomic_int_get (&asker->asking))
    g_thread_yield ();

  return thread;
}

/* A brief lease (the device list identifying a new kit) is waited for; the
 * waiter gets the port once it is given back. */
static void
test_brief_waits (void)
{
  g_autoptr(TsWorkspace) workspace = ts_workspace_new ("/nonexistent/fleet.db");
  g_autoptr(GError) error = NULL;
  g_autofree char *holder = NULL;
  Asker asker = { .workspace = workspace, .kind = TS_PORT_LEASE_HELD };
  TsPortLease *brief;
  GThread *thread;

  brief = ts_workspace_lease_port (workspace, PORT, "the device list", TS_PORT_LEASE_BRIEF,
                                   NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (brief);

  thread = ask (&asker);
  g_atomic_int_set (&asker.released, TRUE);
  ts_port_lease_release (brief);
  g_thread_join (thread);

  g_assert_no_error (asker.error);
  g_assert_nonnull (asker.lease);
  g_assert_true (asker.got_after_release);
  holder = ts_workspace_dup_port_holder (workspace, PORT);
  g_assert_cmpstr (holder, ==, "the production line");
  ts_port_lease_release (asker.lease);
}

/* A held lease (a device window) refuses at once, naming the holder. */
static void
test_held_refuses (void)
{
  g_autoptr(TsWorkspace) workspace = ts_workspace_new ("/nonexistent/fleet.db");
  g_autoptr(GError) error = NULL;
  g_autofree char *holder = NULL;
  TsPortLease *window;
  TsPortLease *refused;

  window = ts_workspace_lease_port (workspace, PORT, "a device window", TS_PORT_LEASE_HELD,
                                    NULL, &error);
  g_assert_no_error (error);

  for (TsPortLeaseKind kind = TS_PORT_LEASE_HELD; kind <= TS_PORT_LEASE_BRIEF; kind++)
    {
      refused = ts_workspace_lease_port (workspace, PORT, "the production line", kind, NULL,
                                         &error);
      g_assert_null (refused);
      g_assert_error (error, TS_WORKSPACE_ERROR, TS_WORKSPACE_ERROR_PORT_LEASED);
      g_assert_nonnull (strstr (error->message, "a device window"));
      g_assert_nonnull (strstr (error->message, PORT));
      g_clear_error (&error);
    }

  /* Another port is someone else's business. */
  refused = ts_workspace_lease_port (workspace, "/dev/ttyTEST1", "the production line",
                                     TS_PORT_LEASE_HELD, NULL, &error);
  g_assert_no_error (error);
  ts_port_lease_release (refused);

  holder = ts_workspace_dup_port_holder (workspace, PORT);
  g_assert_cmpstr (holder, ==, "a device window");
  ts_port_lease_release (window);
  g_clear_pointer (&holder, g_free);
  holder = ts_workspace_dup_port_holder (workspace, PORT);
  g_assert_null (holder);
}

/* Cancelling wakes one who waits for a brief lease, with CANCELLED. */
static void
test_cancel_wakes_waiter (void)
{
  g_autoptr(TsWorkspace) workspace = ts_workspace_new ("/nonexistent/fleet.db");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Asker asker = { .workspace = workspace, .kind = TS_PORT_LEASE_HELD, .cancellable = cancellable };
  TsPortLease *brief;
  GThread *thread;

  brief = ts_workspace_lease_port (workspace, PORT, "the device list", TS_PORT_LEASE_BRIEF,
                                   NULL, &error);
  g_assert_no_error (error);

  thread = ask (&asker);
  g_cancellable_cancel (cancellable);
  g_thread_join (thread);

  g_assert_null (asker.lease);
  g_assert_error (asker.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&asker.error);
  /* The brief holder still has the port. */
  g_assert_false (asker.got_after_release);
  ts_port_lease_release (brief);
}

static gpointer
release_thread (gpointer data)
{
  ts_port_lease_release (data);

  return NULL;
}

static void
ports_changed_cb (TsWorkspace *workspace,
                  guint       *count)
{
  (*count)++;
}

/* A lease taken on one thread may be given back on another, and the main
 * context hears of each change through "ports-changed". */
static void
test_release_other_thread (void)
{
  g_autoptr(TsWorkspace) workspace = ts_workspace_new ("/nonexistent/fleet.db");
  g_autoptr(GError) error = NULL;
  g_autofree char *holder = NULL;
  TsPortLease *lease;
  guint changes = 0;

  g_signal_connect (workspace, "ports-changed", G_CALLBACK (ports_changed_cb), &changes);
  lease = ts_workspace_lease_port (workspace, PORT, "a device window", TS_PORT_LEASE_HELD,
                                   NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ts_port_lease_get_path (lease), ==, PORT);

  g_thread_join (g_thread_new ("releaser", release_thread, lease));
  holder = ts_workspace_dup_port_holder (workspace, PORT);
  g_assert_null (holder);

  while (changes < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (changes, ==, 2);

  lease = ts_workspace_lease_port (workspace, PORT, "the production line", TS_PORT_LEASE_HELD,
                                   NULL, &error);
  g_assert_no_error (error);
  ts_port_lease_release (lease);
}

/* The provisioning defaults are replaced on the main thread while workers copy
 * them: every copy is one whole set, never half of an old one. */
typedef struct
{
  TsWorkspace *workspace;
  gint         stop;        /* (atomic) */
  guint        torn;
} DefaultsReader;

static gpointer
read_defaults_thread (gpointer data)
{
  DefaultsReader *reader = data;

  while (!g_atomic_int_get (&reader->stop))
    {
      g_autoptr(TsProvisionDefaults) defaults = ts_workspace_dup_provision_defaults (reader->workspace);
      g_autofree char *expected = g_strdup_printf ("profile-%u", defaults->sec_tag);

      if (defaults->sec_tag != 0 && g_strcmp0 (defaults->profile, expected) != 0)
        reader->torn++;
    }
  return NULL;
}

static void
test_defaults_across_threads (void)
{
  g_autoptr(TsWorkspace) workspace = ts_workspace_new ("/nonexistent/fleet.db");
  DefaultsReader reader = { workspace, FALSE, 0 };
  GThread *threads[2];

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("defaults", read_defaults_thread, &reader);

  for (guint round = 1; round <= 2000; round++)
    {
      g_autoptr(TsProvisionDefaults) defaults = ts_provision_defaults_new ();

      defaults->sec_tag = round;
      defaults->profile = g_strdup_printf ("profile-%u", round);
      ts_workspace_set_provision_defaults (workspace, defaults);
    }

  g_atomic_int_set (&reader.stop, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  g_assert_cmpuint (reader.torn, ==, 0);
  g_autoptr(TsProvisionDefaults) last = ts_workspace_dup_provision_defaults (workspace);
  g_assert_cmpuint (last->sec_tag, ==, 2000);
  g_assert_cmpstr (last->profile, ==, "profile-2000");
}

/* A ledger that fails to open on a worker thread is seen as failed, with its
 * reason, by the thread that made the workspace. */
static gpointer
open_thread (gpointer data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (ts_workspace_open (data, TS_WORKSPACE_OPEN_READ_WRITE, &error));
  g_assert_nonnull (error);
  return NULL;
}

static void
test_failed_open_seen_across_threads (void)
{
  g_autoptr(TsWorkspace) workspace = ts_workspace_new ("/proc/tagsmith-no-such/fleet.db");
  g_autoptr(GError) error = NULL;

  g_thread_join (g_thread_new ("open", open_thread, workspace));

  g_assert_cmpint (ts_workspace_get_state (workspace), ==, TS_WORKSPACE_FAILED);
  g_assert_nonnull (ts_workspace_get_error (workspace));
  g_assert_false (ts_workspace_is_open (workspace));
  g_assert_false (ts_workspace_check_writable (workspace, &error));
  g_assert_nonnull (error);

  /* The state change is announced on this thread's context. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* A state handler runs at once on the thread that owns the context, and may read
 * the workspace there: the state is announced after its lock is let go. */
static void
state_read_cb (TsWorkspace *workspace,
               GParamSpec  *pspec,
               guint       *seen)
{
  (*seen)++;
  g_assert_false (ts_workspace_is_unlocked (workspace));
  g_assert_cmpint (ts_workspace_get_state (workspace), !=, TS_WORKSPACE_CLOSED);
}

static void
test_state_handler_reads_workspace (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ts-workspace-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "fleet.db", NULL);
  g_autoptr(TsWorkspace) workspace = ts_workspace_new (path);
  g_autoptr(GError) error = NULL;
  guint seen = 0;

  g_signal_connect (workspace, "notify::state", G_CALLBACK (state_read_cb), &seen);
  g_assert_true (ts_workspace_open (workspace, TS_WORKSPACE_OPEN_READ_WRITE, &error));
  g_assert_no_error (error);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (seen, ==, 1);
  g_assert_cmpint (ts_workspace_get_state (workspace), ==, TS_WORKSPACE_LOCKED);

  g_clear_object (&workspace);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/workspace/leases/brief-waits", test_brief_waits);
  g_test_add_func ("/workspace/leases/held-refuses", test_held_refuses);
  g_test_add_func ("/workspace/leases/cancel-wakes-waiter", test_cancel_wakes_waiter);
  g_test_add_func ("/workspace/leases/release-other-thread", test_release_other_thread);
  g_test_add_func ("/workspace/defaults-across-threads", test_defaults_across_threads);
  g_test_add_func ("/workspace/failed-open-across-threads", test_failed_open_seen_across_threads);
  g_test_add_func ("/workspace/state-handler-reads-workspace", test_state_handler_reads_workspace);

  return g_test_run ();
}
