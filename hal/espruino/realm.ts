/**
 * The one realm kernel, LibOS and apps share, as the kernel sees it: the
 * global object (the confined code's `this` guard compares against it) and
 * the boot-time taming of what no build-time check can reach.
 *
 * Usage: `tame()` first thing at boot, before any app code is loaded;
 * `root` is handed to each app's loader (tools/build/confine/app-bundle.ts).
 *
 * Why taming: `Function.prototype.constructor` is the Function constructor,
 * reachable from any function value (`f.constructor`, or a property
 * descriptor of a function's prototype); replacing it with a thrower tames
 * function, arrow and class values alike (measured on 2v29, espruino.md §2b).
 * The build already refuses `.constructor` in app code: this is the second
 * wall, for a path the build did not foresee.
 */
export const root: object = global as unknown as object;

export function tame(): void {
  const refuse = function () {
    throw new Error("the Function constructor is not available");
  };
  (Function.prototype as unknown as { constructor: unknown }).constructor = refuse;
}
