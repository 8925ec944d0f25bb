/**
 * Flash image files: a raw dump of the whole simulated chip, byte 0 = the chip's first address.
 *
 * Usage:
 *   const device = new SimDevice({ board, flashImage: readFlashImage("dev.flash", board) });
 *   writeFlashImage("dev.flash", device.control.flashImage());
 *
 * Errors: reading a file whose size is not the board's chip size throws a
 * UserError naming both sizes; a missing file throws a UserError.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { UserError } from "../user-error.ts";
import type { Board } from "../boards.ts";

/** Load an image for `board` (its `chip.size` bytes). */
export function readFlashImage(path: string, board: Board): Uint8Array {
  if (!existsSync(path)) throw new UserError(`no flash image at ${path}`, "omit the image to start with an erased chip");
  const image = new Uint8Array(readFileSync(path));
  if (image.length !== board.chip.size) {
    throw new UserError(
      `flash image ${path} is ${image.length} bytes; the ${board.name} chip has ${board.chip.size}`,
      "use an image saved from a device of the same board",
    );
  }
  return image;
}

/** Save a raw chip image (e.g. `device.control.flashImage()`). */
export function writeFlashImage(path: string, image: Uint8Array): void {
  writeFileSync(path, image);
}
