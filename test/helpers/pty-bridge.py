#!/usr/bin/env python3
"""Runs a command on a new pseudo-terminal for the tests (test/helpers/pty.ts).

Usage: pty-bridge.py ROWS COLS COMMAND [ARG...]

stdin carries frames: one type byte, a 4-byte big-endian length, the payload.
  b'd' data for the terminal (what the user types)
  b'r' resize: payload "ROWS COLS" (TIOCSWINSZ on the master; the kernel sends
       SIGWINCH to the terminal's foreground process group)
stdout carries everything the program writes to the terminal, as it comes.
The bridge exits with the program's exit code (128+N when killed by signal N)
once the program has exited and its output is drained.
"""
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))


def main():
    rows, cols = int(sys.argv[1]), int(sys.argv[2])
    argv = sys.argv[3:]
    pid, master = pty.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    set_size(master, rows, cols)
    stdin = sys.stdin.fileno()
    out = sys.stdout.fileno()
    buf = b''
    stdin_open = True
    status = None
    while True:
        fds = [master] + ([stdin] if stdin_open else [])
        try:
            ready, _, _ = select.select(fds, [], [], 0.05)
        except InterruptedError:
            continue
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b''
            if not data:
                break
            os.write(out, data)
        if stdin_open and stdin in ready:
            chunk = os.read(stdin, 65536)
            if not chunk:
                stdin_open = False
            buf += chunk
            while len(buf) >= 5:
                kind = buf[0:1]
                (length,) = struct.unpack('>I', buf[1:5])
                if len(buf) < 5 + length:
                    break
                payload, buf = buf[5:5 + length], buf[5 + length:]
                if kind == b'd':
                    os.write(master, payload)
                elif kind == b'r':
                    r, c = payload.decode().split()
                    set_size(master, int(r), int(c))
        if status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
    if status is None:
        _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sys.exit(128 + os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


if __name__ == '__main__':
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    main()
