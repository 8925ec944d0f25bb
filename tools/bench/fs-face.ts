/**
 * What libos/fs's object face (libos/fs/file.ts) costs: bundle bytes and
 * Espruino variables, measured on the simulator's accounting (hal/sim/memory.ts,
 * the rules of E.getSizeOf and process.memory(); no interpreter needed).
 *
 * Usage: `npx tsx tools/bench/fs-face.ts [--json]`
 *
 * Prints:
 *  - face code: a library bundle (tools/build/library.ts, the device build's
 *    minifier) of the fs.ts calls the face uses, with and without `files`
 *    exported: the difference is the face's own minified bytes, and the
 *    variables its code holds once loaded (process.memory().usage after load);
 *  - per object: process.memory().usage around `files(fs)` and around
 *    `fs.open(name, "a")`, E.getSizeOf of each, and the same for a C-style
 *    fileOpen (a handle is a number: 0);
 *  - twin apps (test/fixtures/apps fsc and fsface: the same work through the
 *    C-style calls and through the face), each built alone with the kernel:
 *    firmware bytes, and variables in use after 2 s on the simulator. The face
 *    app also links fs.ts calls the C-style twin does not use (fsList, fsStat,
 *    fsRemove, fsUnmount: a Files object holds them all).
 *
 * Errors: a build or a device error is thrown (exit 1 with its message).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findBoard } from "../../hal/boards.ts";
import { SimDevice } from "../../hal/sim/device.ts";
import { buildDevice } from "../build/device.ts";
import { libraryBundle } from "../build/library.ts";
import { ranDirectly } from "../ran-directly.ts";

const root = join(import.meta.dirname, "..", "..");
const fsTs = JSON.stringify(join(root, "libos/fs/fs.ts"));
const fileTs = JSON.stringify(join(root, "libos/fs/file.ts"));
/** The fs.ts calls the face makes, and what a driver needs to get a mounted fs. */
const calls = "fsFormat, fsMount, fileClose, fileOpen, fileRead, fileSize, fileSync, fileWrite, fsGc, fsList, fsRemove, fsStat, fsUnmount";

/** A driver in the device dialect: an extent in RAM, a mounted fs, then the measurements. */
const driver = (face: boolean) => `
var mem = new Uint8Array(4 * 4096); mem.fill(255);
var ext = { sector: 4096, count: 4,
  read: function (o, l) { return mem.slice(o, o + l); },
  write: function (o, d) { for (var i = 0; i < d.length; i++) mem[o + i] &= d[i]; },
  erase: function (i) { mem.fill(255, i * 4096, i * 4096 + 4096); },
  erases: function () { return 0; } };
var svc = { crc32: function (d) { return E.CRC32(d); }, now: function () { return 0; }, log: function (t) { print(t); } };
var out = { loaded: process.memory().usage };
L.fsFormat(ext, svc);
var raw = L.fsMount(ext, svc);
var u = process.memory().usage;
var h = L.fileOpen(raw, "c.log", 3);
out.cHandle = process.memory().usage - u;
${face ? `
u = process.memory().usage;
var fs = L.files(raw);
out.files = process.memory().usage - u;
u = process.memory().usage;
var f = fs.open("log.a", "a");
out.file = process.memory().usage - u;
out.sizeOfFile = E.getSizeOf(f);
u = process.memory().usage;
var g = fs.open("log.b", "a");
out.secondFile = process.memory().usage - u;
f.write("x"); f.sync();
` : ""}
print("RESULT " + JSON.stringify(out));
`;

async function onDevice(code: string): Promise<Record<string, number>> {
  const device = new SimDevice({ board: findBoard("esp32"), seed: 1 });
  device.boot(code, { file: "fs-face-bench.js" });
  device.run(10);
  const line = device.console.map((c) => c.line).find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error("the driver printed no result: " + device.console.map((c) => c.line).join(" | "));
  return JSON.parse(line.slice(7));
}

async function twin(app: string): Promise<{ bytes: number; usage: number }> {
  const file = join(mkdtempSync(join(tmpdir(), "exo-face-")), "firmware.js");
  await buildDevice({ root, board: "esp32", apps: [app], out: file, appDirs: ["test/fixtures/apps"] });
  const code = readFileSync(file, "utf8");
  const device = new SimDevice({ board: findBoard("esp32"), seed: 1 });
  device.boot(code, { file, map: readFileSync(file + ".map", "utf8") });
  device.run(2000);
  if (device.state !== "running") throw new Error(`${app}: the device is ${device.state}`);
  return { bytes: code.length, usage: device.memory().usage };
}

export async function measure() {
  const dir = mkdtempSync(join(tmpdir(), "exo-face-"));
  const plainEntry = join(dir, "plain.ts");
  const faceEntry = join(dir, "face.ts");
  writeFileSync(plainEntry, `export { ${calls} } from ${fsTs};\n`);
  writeFileSync(faceEntry, `export { ${calls} } from ${fsTs};\nexport { files } from ${fileTs};\n`);
  const plain = await libraryBundle(plainEntry, "L");
  const face = await libraryBundle(faceEntry, "L");
  const plainRun = await onDevice(plain.code + "\n" + driver(false));
  const faceRun = await onDevice(face.code + "\n" + driver(true));
  const c = await twin("fsc");
  const f = await twin("fsface");
  return {
    code: { bytes: face.code.length - plain.code.length, variables: faceRun.loaded - plainRun.loaded, libraryBytes: [plain.code.length, face.code.length] },
    objects: { files: faceRun.files, file: faceRun.file, secondFile: faceRun.secondFile, sizeOfFile: faceRun.sizeOfFile, cHandle: plainRun.cHandle },
    twins: { fsc: c, fsface: f, bytes: f.bytes - c.bytes, usage: f.usage - c.usage },
  };
}

if (ranDirectly(import.meta.url, "fs-face.ts")) {
  const r = await measure();
  if (process.argv.includes("--json")) console.log(JSON.stringify(r, null, 2));
  else {
    console.log(`libos/fs object face (libos/fs/file.ts), esp32, simulator accounting:`);
    console.log(`  face code: ${r.code.bytes} B minified (library ${r.code.libraryBytes[0]} → ${r.code.libraryBytes[1]} B), ${r.code.variables} variables once loaded`);
    console.log(`  files(fs): ${r.objects.files} variables; fs.open(name, "a"): ${r.objects.file} variables (a second: ${r.objects.secondFile}), E.getSizeOf(file) ${r.objects.sizeOfFile}; a C-style fileOpen: ${r.objects.cHandle}`);
    console.log(`  twin apps, firmware with the kernel: fsc ${r.twins.fsc.bytes} B, fsface ${r.twins.fsface.bytes} B (+${r.twins.bytes}); variables in use at 2 s: ${r.twins.fsc.usage} / ${r.twins.fsface.usage} (+${r.twins.usage})`);
  }
}
