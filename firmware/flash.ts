/**
 * Flash sectors: each app gets an extent of whole erase sectors, the ones the
 * ledger (ledger.ts) gives it.
 *
 * Usage (apps.ts): `grantExtent(hal, app)` → the Issued entry; `entry.cap` is the FlashExtent.
 *
 * Errors (thrown, with `code`): EINVAL for an offset, length or index outside
 * the extent or a program not 4-byte aligned; ENOR for a program that would
 * need a 0 bit back to 1; EREVOKED after revocation.
 *
 * Revocation: the extent's size drops to 0 inside its closures, so every copy
 * of every method fails its range check and throws EREVOKED; the data stays
 * (the same app gets it back after a restart or reboot).
 *
 * Contract: doc/xrd/xrd102-flash.md.
 */
import type { Hal } from "../hal/types.ts";
import type { App } from "./apps.ts";
import { issue, revoke, type Issued } from "./caps.ts";
import { EINVAL, ENOR, EREVOKED, fail } from "./errors.ts";
import { eraseSector, erases, extentOf, region } from "./ledger.ts";
import type { FlashExtent } from "./types.ts";

/**
 * The first byte where programming `data` over `old` needs a 0 bit back to 1,
 * or -1. Word-wise through Int32Array views when both are aligned and long
 * enough to pay for the views (a JS loop costs per iteration on Espruino).
 */
function norClash(old: Uint8Array, data: Uint8Array): number {
  const length = data.length;
  if (length >= 32 && data.buffer && !(data.byteOffset & 3) && !(old.byteOffset & 3)) {
    const a = new Int32Array(old.buffer, old.byteOffset, length >> 2);
    const b = new Int32Array(data.buffer, data.byteOffset, length >> 2);
    for (let i = 0; i < a.length; i++) if ((a[i] & b[i]) !== b[i]) return 4 * i;
    return -1;
  }
  for (let i = 0; i < length; i++) if ((old[i] & data[i]) !== data[i]) return i;
  return -1;
}

/** The FlashExtent of `app` (its sectors from the ledger), issued as "flash". */
export function grantExtent(h: Hal, app: App): Issued<FlashExtent> | undefined {
  const had = extentOf(app.name);
  if (!had) return undefined;
  const read = h.flash.read;
  const write = h.flash.write;
  const sum = h.sum;
  // Two references keep the minifier from inlining the loop into the hot body (Espruino re-reads it on every call).
  const clash = app.name ? norClash : norClash;
  const sector = region.sector;
  const first = had.first;
  const base = region.base + first * sector;
  // Revocation sets these to 0: every copy of every method then fails its range check.
  let size = had.count * sector;
  let count = had.count;
  // Failures leave the hot bodies: Espruino re-reads a function's text on every call.
  const refuse = (what: string, at: unknown, length: unknown): never => {
    if (entry.revoked) throw fail(EREVOKED, "app " + app.name + ": flash revoked (" + entry.revoked + ")");
    const shown = (v: unknown) => (typeof v === "number" ? "" + v : "(" + typeof v + ")");
    throw fail(EINVAL, "app " + app.name + ": flash " + what + " " + shown(at) + "+" + shown(length) + " outside its extent of " + count + " sectors, or not whole words");
  };
  // Every argument is a number by typeof before it is compared (on Espruino `===` calls an object's valueOf,
  // so an object could say 0 to the check and a far offset to the use). Data is a genuine Uint8Array (its
  // length intrinsic: apps cannot reach Uint8Array.prototype to fake one, nor define `length` on one), or is
  // copied into one of its checked length (one read of `length`; arrays only; no flattening): only the bytes
  // checked are written, and no app code runs between the check and the write.
  const bytesOf = (data: unknown, offset: unknown): Uint8Array => {
    const length = typeof data === "object" && data ? (data as { length?: unknown }).length : -1;
    if (!(typeof length === "number" && length === length >>> 0 && length <= size)) refuse("program", offset, length);
    const bytes = new Uint8Array(length as number);
    bytes.set(data as ArrayLike<number>);
    return bytes;
  };
  const cap: FlashExtent = {
    sector,
    count,
    read: (offset, length) => {
      if (!(typeof offset === "number" && typeof length === "number" && offset === offset >>> 0 && length === length >>> 0 && offset + length <= size)) refuse("read", offset, length);
      return read(length, base + offset);
    },
    write: (offset, data) => {
      const bytes = data instanceof Uint8Array ? data : bytesOf(data, offset);
      const length = bytes.length;
      if (!(typeof offset === "number" && offset === offset >>> 0 && offset + length <= size && !((offset | length) & 3))) refuse("program", offset, length);
      const old = read(length, base + offset);
      // Erased space (the usual case) takes any data: one native sum instead of a loop.
      const at = sum(old) === 255 * length ? -1 : clash(old, bytes);
      if (at >= 0) throw fail(ENOR, "app " + app.name + ": flash program at " + (offset + at) + " needs a 0 bit back to 1 (erase the sector first)");
      write(bytes, base + offset);
    },
    erase: (index) => {
      if (!(typeof index === "number" && index === index >>> 0 && index < count)) refuse("erase of sector", index, 1);
      eraseSector(first + index);
    },
    erases: (index) => {
      if (!(typeof index === "number" && index === index >>> 0 && index < count)) refuse("erase count of sector", index, 1);
      return erases[first + index];
    },
    close: () => revoke(entry, "released"),
  };
  const entry = issue(app.name, "flash", cap, () => {
    size = 0;
    count = 0;
  });
  return entry;
}
