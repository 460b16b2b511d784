/* test-secret-watch.c
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define _GNU_SOURCE

#include "config.h"

#include <string.h>

#include "test-secret-watch.h"

#if defined(__SANITIZE_ADDRESS__)
# define HAVE_FREE_HOOK 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define HAVE_FREE_HOOK 1
# endif
#endif

static char *watched;       /* the marker while watching, else NULL */
static gsize watched_length;
static gint seen;

#ifdef HAVE_FREE_HOOK
int    __sanitizer_install_malloc_and_free_hooks (void (*malloc_hook) (const volatile void *, size_t),
                                                  void (*free_hook) (const volatile void *));
size_t __sanitizer_get_allocated_size            (const volatile void *pointer);

static void
malloc_hook (const volatile void *pointer,
             size_t               size)
{
}

/* Runs before each block is released, while its bytes are still readable. */
static void
free_hook (const volatile void *pointer)
{
  const char *marker = g_atomic_pointer_get (&watched);

  if (marker != NULL && pointer != NULL &&
      memmem ((const void *) pointer, __sanitizer_get_allocated_size (pointer), marker, watched_length) != NULL)
    g_atomic_int_inc (&seen);
}
#endif

gboolean
secret_watch_available (void)
{
#ifdef HAVE_FREE_HOOK
  return TRUE;
#else
  return FALSE;
#endif
}

void
secret_watch_start (const char *marker)
{
#ifdef HAVE_FREE_HOOK
  static gsize installed;

  if (g_once_init_enter (&installed))
    {
      __sanitizer_install_malloc_and_free_hooks (malloc_hook, free_hook);
      g_once_init_leave (&installed, 1);
    }
#endif
  g_assert_null (watched);
  /* The marker itself lives outside the heap, so freeing it is never counted. */
  watched_length = strlen (marker);
  g_atomic_int_set (&seen, 0);
  g_atomic_pointer_set (&watched, (char *) marker);
}

guint
secret_watch_stop (void)
{
  g_atomic_pointer_set (&watched, NULL);

  return (guint) g_atomic_int_get (&seen);
}
