/**
 * libos/fs for app authors who like objects: a small face over the C-style
 * calls of fs.ts, in its own module so an app that does not import it pays
 * nothing (rollup leaves it out of the bundle).
 *
 * Usage:
 *   import { files } from "../../libos/fs/file.ts";
 *   const fs = files(fsMount(caps.flash!, caps.services)); // throws if the mount failed
 *   const log = fs.open("log.a", "a");    // "r" read, "a" append (create), "ax" create new, "w" replace at close
 *   log.write(bytes); log.sync();         // durable once sync returns
 *   const all = fs.open("log.a").read();  // the whole file, as a Uint8Array
 *   fs.list(); fs.stat("log.a").size; fs.remove("log.b"); fs.gc(4);
 *
 * Errors: every failure throws an Error whose `code` is the negative errno
 * of errors.ts (ENOENT -2, ENOSPC -28, …) and whose message names the
 * operation and the file: `open log.a: ENOENT (-2)`. A closed File throws
 * EBADF, any call after unmount EINVAL; a short write (the device filled
 * up) throws ENOSPC. Nothing is returned as a code. The kernel's own errors
 * (a revoked extent: EREVOKED) pass through as the kernel threw them.
 *
 * Cost (DESIGN.md §3.8): each method is a one-line closure over a small
 * state object calling a shared top-level function; `/*@__NOINLINE__*\/`
 * keeps the minifier from inlining those (and fs.ts's calls) into every
 * File's closures, so a File costs a few variables.
 *
 * Contract: the semantics are fs.ts's (durability at sync/close, atomic
 * replace, visibility); this file adds no state beyond a read position.
 */
import { OPEN_APPEND, OPEN_CREATE, OPEN_EXCL, OPEN_REPLACE, type Fs } from "./fs.ts";
import { fileClose, fileOpen, fileRead, fileSize, fileSync, fileWrite, fsList, fsRemove, fsStat, fsUnmount, type FileInfo } from "./io.ts";
import { fsGc } from "./gc.ts";
import { EBADF, EINVAL, ENOSPC } from "./errors.ts";
import { codedError } from "../coded-error.ts";

/** An open file. Its methods may be called detached (`const w = log.write`). */
export interface File {
  /** The name it was opened with. */
  readonly name: string;
  /** Append bytes (a string is taken as one byte per character); buffered until sync or close. Returns the bytes taken: all of them, or it throws (ENOSPC, EBADF). */
  write(data: Uint8Array | string): number;
  /** Read `length` bytes (default: to the end) at `offset` (default: where the last read ended; 0 at first). Shorter at the end of the file, empty past it. */
  read(length?: number, offset?: number): Uint8Array;
  /** Make every byte written so far durable. */
  sync(): void;
  /** Bytes in the file, buffered writes included. */
  size(): number;
  /** Flush and close (for "w": swap the new version in). The File is closed even when this throws. */
  close(): void;
}

/** A mounted file system. */
export interface Files {
  /** The Fs under it, for the C-style calls (fsCheck, fsStats, …). */
  readonly raw: Fs;
  /** Open `name`: "r" (default) read; "a" append, creating it; "ax" create a new file (EEXIST if it exists); "w" write a new version that replaces the file atomically at close. A number is fileOpen's flags. */
  open(name: string, mode?: string | number): File;
  /** Remove a file (ENOENT, EBUSY when open). */
  remove(name: string): void;
  /** A file's name and size (ENOENT if absent). */
  stat(name: string): FileInfo;
  /** Every file's name and size. */
  list(): FileInfo[];
  /** Idle-time garbage collection, at most `budget` steps: true when more work is pending. */
  gc(budget: number): boolean;
  /** Close every file (committing replacements) and detach. */
  unmount(): void;
}

/** The state a File's or Files' closures share: fs, handle (-1 closed), name, read position. */
interface State {
  f: Fs;
  h: number;
  n: string;
  p: number;
}

/** Operation names, for messages (fail's k), and errno names: one string each (a few variables, not an array's many). */
const OPS = "write read sync size close open remove stat list gc unmount mount";
const ERRNO = " 2ENOENT 9EBADF 16EBUSY 17EEXIST 22EINVAL 23ENFILE 24EMFILE 28ENOSPC 36ENAMETOOLONG 84ECORRUPT";

/** The Error for code `code` of operation k on file `name` ("": none): "open log.a: ENOENT (-2)". */
function fail(code: number, k: number, name: string): Error {
  const i = ERRNO.indexOf(" " + -code + "E");
  return codedError(code, OPS.split(" ")[k] + (name ? " " + name : "") + ": " + (i < 0 ? "error" : ERRNO.slice(i + 1 + ("" + -code).length).split(" ")[0]) + " (" + code + ")");
}

/** r, or the Error for it when it is a negative code. */
function ok(r: any, k: number, name: string): any {
  if (typeof r === "number" && r < 0) throw fail(r, k, name);
  return r;
}

/** The handle of an open File on a mounted fs (EBADF: closed; EINVAL: the fs was unmounted). */
function handle(s: State, k: number): number {
  if (s.h < 0 || !s.f.open) throw fail(s.h < 0 ? EBADF : EINVAL, k, s.n);
  return s.h;
}

/** The fs, mounted (EINVAL once unmounted), for the Files calls. */
function mounted(s: State, k: number, name: string): Fs {
  if (!s.f.open) throw fail(EINVAL, k, name);
  return s.f;
}

// Each method is a one-line closure calling one of these; NOINLINE keeps the
// minifier from copying their bodies (and fs.ts's) into every File's closures.

function write(s: State, d: Uint8Array | string): number {
  let b = d as Uint8Array;
  if (typeof d === "string") {
    b = new Uint8Array(d.length);
    for (let i = 0; i < d.length; i++) b[i] = d.charCodeAt(i);
  }
  const h = handle(s, 0);
  const r = ok(/*@__NOINLINE__*/ fileWrite(s.f, h, b), 0, s.n);
  if (r < b.length) throw fail(ENOSPC, 0, s.n);
  return r;
}

function read(s: State, length?: number, offset?: number): Uint8Array {
  const h = handle(s, 1);
  const size = ok(/*@__NOINLINE__*/ fileSize(s.f, h), 1, s.n);
  const at = offset === undefined ? s.p : offset;
  const out = new Uint8Array(Math.max(0, Math.min(length === undefined ? size : length, size - at)));
  if (out.length) s.p = at + ok(/*@__NOINLINE__*/ fileRead(s.f, h, at, out), 1, s.n);
  return out;
}

function close(s: State): void {
  const h = handle(s, 4);
  s.h = -1;
  ok(/*@__NOINLINE__*/ fileClose(s.f, h), 4, s.n);
}

function open(s: State, name: string, mode?: string | number): File {
  const fs = mounted(s, 5, name);
  const flags = typeof mode === "number" ? mode : mode === "a" ? OPEN_APPEND | OPEN_CREATE : mode === "w" ? OPEN_REPLACE : mode === "ax" ? OPEN_APPEND | OPEN_CREATE | OPEN_EXCL : mode === "r" || mode === undefined ? 0 : -1;
  if (flags < 0) throw fail(EINVAL, 5, name);
  return /*@__NOINLINE__*/ file({ f: fs, h: ok(/*@__NOINLINE__*/ fileOpen(fs, name, flags), 5, name), n: name, p: 0 });
}

/** A File's object: its closures keep this small scope (f alone), not open's. */
function file(f: State): File {
  return {
    name: f.n,
    write: (d) => /*@__NOINLINE__*/ write(f, d),
    read: (n, at) => /*@__NOINLINE__*/ read(f, n, at),
    sync: () => {
      ok(/*@__NOINLINE__*/ fileSync(f.f, handle(f, 2)), 2, f.n);
    },
    size: () => ok(/*@__NOINLINE__*/ fileSize(f.f, handle(f, 3)), 3, f.n),
    close: () => /*@__NOINLINE__*/ close(f),
  };
}

/**
 * The object face of a mounted fs. Give it what fsMount returned: a
 * negative code (no file system, …) throws `mount: ECORRUPT (-84)` etc.
 */
export function files(fs: Fs | number): Files {
  if (typeof fs === "number") throw fail(fs, 11, "");
  const s: State = { f: fs, h: 0, n: "", p: 0 };
  return {
    raw: fs,
    open: (name, mode) => /*@__NOINLINE__*/ open(s, name, mode),
    remove: (name) => {
      ok(/*@__NOINLINE__*/ fsRemove(mounted(s, 6, name), name), 6, name);
    },
    stat: (name) => ok(/*@__NOINLINE__*/ fsStat(mounted(s, 7, name), name), 7, name),
    list: () => /*@__NOINLINE__*/ fsList(mounted(s, 8, "")),
    gc: (budget) => ok(/*@__NOINLINE__*/ fsGc(mounted(s, 9, ""), budget), 9, "") > 0,
    unmount: () => {
      ok(/*@__NOINLINE__*/ fsUnmount(mounted(s, 10, "")), 10, "");
    },
  };
}
