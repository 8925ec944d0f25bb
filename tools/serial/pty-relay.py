#!/usr/bin/env python3
"""Make a pseudo-terminal and relay its master side to stdin/stdout (for `exo sim --pty`).

Usage: python3 pty-relay.py [LINK]   -- prints the pty's path (and makes LINK a symlink to it), then
relays bytes: whatever a serial tool writes to the pty comes out on stdout; stdin goes to the tool.
Exits when stdin closes. The slave side is kept open (raw, no echo), so tools may come and go.
Needs only the Python standard library (os.openpty), no Debian package.
"""
import os, select, sys, tty

master, slave = os.openpty()
tty.setraw(slave)
path = os.ttyname(slave)
link = sys.argv[1] if len(sys.argv) > 1 else None
if link:
    try:
        os.unlink(link)
    except FileNotFoundError:
        pass
    os.symlink(path, link)
sys.stdout.write(path + "\n")
sys.stdout.flush()
out = sys.stdout.fileno()
inp = sys.stdin.fileno()
try:
    while True:
        ready, _, _ = select.select([master, inp], [], [])
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            if data:
                os.write(out, data)
        if inp in ready:
            data = os.read(inp, 65536)
            if not data:
                break
            os.write(master, data)
finally:
    if link:
        try:
            os.unlink(link)
        except OSError:
            pass
