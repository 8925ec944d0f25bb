/**
 * CPU time the calling thread has used, in ms: what the simulator charges a
 * callback that hogs (device.ts). Not wall time (a thread waiting for a core
 * uses none), and not the process's (V8's helper threads mark and compile
 * beside it: 73 ms of theirs during one callback blocked for 150 ms).
 *
 * Linux: /proc/thread-self/stat, in clock ticks (10 ms), ~4 µs a read.
 * Elsewhere the process's CPU time, the nearest Node 20 offers
 * (process.threadCpuUsage needs Node 23.9).
 */
import { openSync, readSync } from "node:fs";

const TICK_MS = 10;
let fd: number | undefined | null;
const buffer = Buffer.alloc(1024);

export function threadCpuMs(): number {
  if (fd === undefined) {
    try {
      fd = openSync("/proc/thread-self/stat", "r");
    } catch {
      fd = null;
    }
  }
  if (fd === null) {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  }
  const text = buffer.toString("latin1", 0, readSync(fd, buffer, 0, buffer.length, 0));
  // After "pid (name) ": state is field 3, utime 14 and stime 15 (proc(5)).
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}
