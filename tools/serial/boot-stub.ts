/**
 * The fixed boot code exo installs as `.bootcde`, and the Storage names it reads.
 *
 * Usage: `BOOT_STUB` is uploaded once per device; `imageName(crc)` and
 * `markerName(generation)` name the files `exo flash` writes.
 *
 * Contract (the atomic switch; README "Flashing"): an image is the bundle
 * stored whole in `exo.<crc32 hex>`. It becomes the boot code only when a
 * marker `exo.ok.<generation>` holding `{"f":name,"c":crc,"n":length}` is
 * written after the image was verified. At every boot the stub takes the
 * marker with the highest generation whose image has exactly that length
 * and CRC-32 (`E.CRC32` over what Storage holds) and `eval`s it; markers
 * that fail (torn, half-written, image missing or wrong) are skipped, so an
 * older verified image boots instead. It never runs a partial image.
 * The stub passes the dialect gate (test/tools/serial/flash.test.ts).
 */

export const STUB_FILE = ".bootcde";
export const IMAGE_PREFIX = "exo.";
export const MARKER_PREFIX = "exo.ok.";

/** Storage name of the image with this CRC-32. */
export const imageName = (crc: number): string => IMAGE_PREFIX + (crc >>> 0).toString(16).padStart(8, "0");
/** Storage name of the commit marker of generation `n`. */
export const markerName = (generation: number): string => MARKER_PREFIX + generation;

/**
 * Pick the image to boot: the device-side selection, shared by the stub
 * (which evals it) and `exo flash` (which asks what would boot). Returns
 * `{f, g, c, n}` or undefined.
 */
export const SELECT_FUNCTION =
  'function(){var S=require("Storage"),g=S.list(/^exo\\.ok\\.[0-9]+$/).map(function(n){return +n.substr(7);}).sort(function(a,b){return b-a;});' +
  'for(var i=0;i<g.length;i++){var m=S.readJSON("exo.ok."+g[i],1);if(!m||typeof m.f!="string")continue;var c=S.read(m.f);' +
  'if(c&&c.length==m.n&&E.CRC32(c)==m.c)return{f:m.f,g:g[i],c:m.c,n:m.n};}}';

/** The boot code: select, then eval the image; say so when there is none. */
export const BOOT_STUB =
  `(function(){var x=(${SELECT_FUNCTION})();` +
  'if(!x){print("exo: no verified firmware image in Storage; flash one with `exo flash`");return;}' +
  'global.__exoImage=x.f;eval(require("Storage").read(x.f));})();\n';
