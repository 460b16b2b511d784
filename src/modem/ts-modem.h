/* ts-modem.h
 *
 * Copyright 2026 The Tagsmith Authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "ts-modem-discovery.h"
#include "ts-modem-error.h"
#include "ts-nrf91.h"
#include "ts-nrf91-token.h"

G_BEGIN_DECLS

/*
 * TsModem owns one open port and runs one AT command at a time (PROTOCOL.md
 * §3). Every call is synchronous and may block for the command's timeout, and
 * this library has no thread runner of its own: the workspace in
 * src/provision/ opens each port under its lease and runs these calls, the
 * command line directly and the window through ts_workspace_run_async(). Calls
 * on one TsModem are serialised by an internal lock, and a composite operation
 * (offline → write → verify → restore) holds it throughout, so two callers
 * never interleave on the wire.
 */

#define TS_TYPE_MODEM (ts_modem_get_type ())

G_DECLARE_FINAL_TYPE (TsModem, ts_modem, TS, MODEM, GObject)

/* Default per-command timeouts (§3.4): 15 s, and 30 s for key generation. */
#define TS_MODEM_TIMEOUT_MS        15000
#define TS_MODEM_KEYGEN_TIMEOUT_MS 30000

typedef enum
{
  TS_MODEM_OPEN_NONE   = 0,
  TS_MODEM_OPEN_RTSCTS = 1 << 0,   /* hardware flow control (§1.2) */
} TsModemOpenFlags;

typedef enum
{
  TS_MODEM_WRITE_NONE         = 0,
  TS_MODEM_WRITE_STAY_OFFLINE = 1 << 0,   /* leave the modem in +CFUN=4 afterwards */
} TsModemWriteFlags;

/* How the bridge frames commands (§2), found by ts_modem_open(). */
typedef enum
{
  TS_AT_MODE_LINE,    /* AT host: raw AT lines */
  TS_AT_MODE_SHELL,   /* Zephyr shell: `at '<command>'`, echo, prompt (§2.2) */
} TsAtMode;

typedef enum
{
  TS_AT_EOL_CR,
  TS_AT_EOL_LF,
  TS_AT_EOL_CRLF,
  TS_AT_EOL_NUL,      /* CONFIG_NULL_TERMINATION (§2.1 item 3) */
} TsAtEol;

typedef enum
{
  TS_MODEM_EVENT_COMMAND,      /* a command finished (or failed) */
  TS_MODEM_EVENT_UNSOLICITED,  /* a line that answered nothing: URC, banner, log */
} TsModemEventKind;

/**
 * TsModemEvent:
 * @label: the command as sent, or the unsolicited line, elided (ts_at_elide())
 * @duration_us: from the first byte written to the final result code
 * @bytes_written: bytes put on the wire for this command
 * @bytes_read: bytes received while it was in flight
 * @error: (nullable): why it failed
 * @answer: (nullable) (array zero-terminated=1): for a command, the lines it was
 *   answered with, elided (ts_at_elide()), ending in the final result code when
 *   one came
 *
 * What an observer sees. Provisioning flows add these up per step; the device
 * window keeps them as its AT log. Nothing in it is a secret.
 */
typedef struct
{
  TsModemEventKind  kind;
  const char       *label;
  gint64            duration_us;
  gsize             bytes_written;
  gsize             bytes_read;
  const GError     *error;
  const char      **answer;
} TsModemEvent;

/* Called on the thread that runs the command; must not call back into @modem. */
typedef void (*TsModemObserver) (TsModem            *modem,
                                 const TsModemEvent *event,
                                 gpointer            user_data);

typedef struct
{
  char              *imei;
  char              *manufacturer;
  char              *model;
  char              *firmware;          /* +CGMR verbatim */
  TsFirmwareVersion  firmware_version;
  gboolean           firmware_version_known;
  char              *hardware_version;  /* %HWVERSION; NULL when the modem has none */
  char              *device_uuid;       /* %DEVICEUUID or the attestation token; NULL when neither */
  int                functional_mode;   /* +CFUN? */
} TsModemIdentity;

/* Opening: the transport, then the session (line ending and shell detection, AT+CMEE=1). */
TsModem         *ts_modem_open                  (const char          *path,
                                                 TsModemOpenFlags     flags,
                                                 GCancellable        *cancellable,
                                                 GError             **error);
TsModem         *ts_modem_open_port             (const TsPortInfo    *port,
                                                 TsModemOpenFlags     flags,
                                                 GCancellable        *cancellable,
                                                 GError             **error);
TsModem         *ts_modem_new_for_fd            (int                  fd,
                                                 const char          *label,
                                                 GError             **error);
gboolean         ts_modem_start_session         (TsModem             *self,
                                                 GCancellable        *cancellable,
                                                 GError             **error);
void             ts_modem_close                 (TsModem             *self);

const char      *ts_modem_get_path              (TsModem             *self);
TsAtMode         ts_modem_get_mode              (TsModem             *self);
TsAtEol          ts_modem_get_eol               (TsModem             *self);
void             ts_modem_set_timeout           (TsModem             *self,
                                                 guint                timeout_ms);
guint            ts_modem_get_timeout           (TsModem             *self);
void             ts_modem_set_observer          (TsModem             *self,
                                                 TsModemObserver      observer,
                                                 gpointer             user_data,
                                                 GDestroyNotify       destroy);
guint64          ts_modem_get_bytes_written     (TsModem             *self);
guint64          ts_modem_get_bytes_read        (TsModem             *self);

/* One command; returns its information lines (NULL-terminated, never NULL on success). */
char           **ts_modem_send                  (TsModem             *self,
                                                 const char          *command,
                                                 guint                timeout_ms,
                                                 GCancellable        *cancellable,
                                                 GError             **error);

TsModemIdentity *ts_modem_query_identity        (TsModem             *self,
                                                 GCancellable        *cancellable,
                                                 GError             **error);
void             ts_modem_identity_free         (TsModemIdentity     *identity);
char            *ts_modem_dup_device_uuid       (TsModem             *self,
                                                 GCancellable        *cancellable,
                                                 GError             **error);
gboolean         ts_modem_get_functional_mode   (TsModem             *self,
                                                 int                 *mode,
                                                 GCancellable        *cancellable,
                                                 GError             **error);
gboolean         ts_modem_set_functional_mode   (TsModem             *self,
                                                 int                  mode,
                                                 GCancellable        *cancellable,
                                                 GError             **error);

/* The credential store (§6). sec_tag -1 / type -1 mean "all". */
GArray          *ts_modem_list_credentials      (TsModem             *self,
                                                 gint64               sec_tag,
                                                 int                  type,
                                                 GCancellable        *cancellable,
                                                 GError             **error);
GBytes          *ts_modem_read_credential       (TsModem             *self,
                                                 guint32              sec_tag,
                                                 guint                type,
                                                 char               **sha256,
                                                 GCancellable        *cancellable,
                                                 GError             **error);
gboolean         ts_modem_write_credential      (TsModem             *self,
                                                 guint32              sec_tag,
                                                 guint                type,
                                                 GBytes              *content,
                                                 const char          *key_password,
                                                 TsLineEndings        endings,
                                                 TsModemWriteFlags    flags,
                                                 char               **sha256,
                                                 GCancellable        *cancellable,
                                                 GError             **error);
gboolean         ts_modem_delete_credentials    (TsModem             *self,
                                                 guint32              sec_tag,
                                                 int                  type,
                                                 TsModemWriteFlags    flags,
                                                 guint               *n_deleted,
                                                 GCancellable        *cancellable,
                                                 GError             **error);
TsKeygenResult  *ts_modem_keygen                (TsModem             *self,
                                                 guint32              sec_tag,
                                                 const char          *attributes,
                                                 TsModemWriteFlags    flags,
                                                 GCancellable        *cancellable,
                                                 GError             **error);
TsAttestation   *ts_modem_attest                (TsModem             *self,
                                                 const char          *challenge_hex,
                                                 GCancellable        *cancellable,
                                                 GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TsModemIdentity, ts_modem_identity_free)

G_END_DECLS
