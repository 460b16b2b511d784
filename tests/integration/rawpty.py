"""Raw byte access to a serial-like pty, for driving tagsmith-emulator exactly as a
host would: no line discipline, no echo, explicit terminators, split writes.

    port = RawPort(emu.port)
    reply = port.command("AT+CGMI")        # b"Nordic Semiconductor ASA\r\nOK\r\n"
"""

import os
import re
import select
import subprocess
import time
import tty



def final_code_end(data):
    """Where the first final result code line (outside quotes) ends, or -1."""
    in_quotes = False
    line_start = 0
    for i, b in enumerate(data):
        if b == 0x22:
            in_quotes = not in_quotes
        elif b == 0x0A and not in_quotes:
            if re.fullmatch(rb"(OK|ERROR|\+CME ERROR: \d+)\r\n", data[line_start:i + 1]):
                return i + 1
            line_start = i + 1
    return -1


def final_code(data):
    """The final result code in data, or None."""
    end = final_code_end(data)
    if end < 0:
        return None
    return data[:end].rstrip(b"\r\n").rsplit(b"\n", 1)[-1].decode()


def lines_of(data):
    """Splits a reply into lines outside quotes (quoted CR/LF stay inside)."""
    out, cur, in_quotes = [], bytearray(), False
    for b in data:
        if b == 0x22:
            in_quotes = not in_quotes
        if b == 0x0A and not in_quotes:
            out.append(bytes(cur).rstrip(b"\r"))
            cur.clear()
            continue
        cur.append(b)
    if cur:
        out.append(bytes(cur))
    return out


# How long an answer may take before a wait counts as failed (never how long a test waits).
ANSWER_TIMEOUT = 60.0

class Timeout(Exception):
    pass


class RawPort:
    def __init__(self, path, flush=True):
        """Opens the port; flush=True sets raw mode again, which also discards
        whatever the device printed before (as host tools do, §1.2)."""
        self.path = path
        self.pending = b""   # read past the end of the last answer (URCs, noise)
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        if flush:
            tty.setraw(self.fd)

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def write(self, data, byte_delay=0.0):
        if isinstance(data, str):
            data = data.encode()
        if byte_delay:
            for i in range(len(data)):
                self._write_all(data[i:i + 1])
                time.sleep(byte_delay)
        else:
            self._write_all(data)

    def _write_all(self, data):
        while data:
            select.select([], [self.fd], [], 5)
            n = os.write(self.fd, data)
            data = data[n:]

    def read_for(self, seconds):
        """Everything that arrives within the given time."""
        end = time.monotonic() + seconds
        buf = bytearray(self.pending)
        self.pending = b""
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return bytes(buf)
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    chunk = os.read(self.fd, 4096)
                except BlockingIOError:
                    continue
                if not chunk:
                    return bytes(buf)
                buf += chunk

    def read_until(self, done, timeout=None):
        """Reads until done(buffer) is true; raises Timeout with what arrived. The
        timeout only bounds a wait that failed: on a busy machine an emulator built
        with sanitizers may take many seconds to answer, so it is generous."""
        timeout = ANSWER_TIMEOUT if timeout is None else timeout
        end = time.monotonic() + timeout
        buf = bytearray(self.pending)
        self.pending = b""
        while not done(bytes(buf)):
            left = end - time.monotonic()
            if left <= 0:
                raise Timeout(f"no complete answer within {timeout}s; got {bytes(buf)!r}")
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    chunk = os.read(self.fd, 4096)
                except BlockingIOError:
                    continue
                if not chunk:
                    raise Timeout(f"port closed; got {bytes(buf)!r}")
                buf += chunk
        return bytes(buf)

    def read_reply(self, timeout=None):
        """Up to and including the first final result code; later bytes stay pending."""
        data = self.read_until(lambda b: final_code_end(b) >= 0, timeout)
        end = final_code_end(data)
        self.pending = data[end:]
        return data[:end]

    def command(self, cmd, term=b"\r", timeout=None):
        """Sends one command with a terminator and returns the reply up to its final code."""
        if isinstance(cmd, str):
            cmd = cmd.encode()
        self.write(cmd + term)
        return self.read_reply(timeout)

    def drain(self, seconds=0.05):
        return self.read_for(seconds)


def start(ws, *args, pacing=False):
    """Starts tagsmith-emulator in a tsharness Workspace and opens its port.
    Tests run without pacing unless they measure it."""
    argv = list(args) if pacing else ["--no-pacing", *args]
    emu = ws.emulator(*argv)
    return emu, RawPort(emu.port)


def openssl(*args, input=None):
    return subprocess.run(["openssl", *args], input=input, capture_output=True, timeout=30)
