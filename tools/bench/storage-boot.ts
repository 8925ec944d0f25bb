/**
 * Boot a bundle on the real interpreter the way a device runs it: written to
 * Storage as `.bootcde` (in chunks, by a first script) and started with
 * `load()`, so that function bodies stay in (memory-mapped) flash — run as a
 * file, the interpreter keeps a RAM copy of every function's text, and the
 * 5-app demo does not fit a 16383-variable build that way.
 *
 * Usage: `const out = await bootFromStorage(bin, code, probe, { ms: 3000 })`
 * (`code` as the bytes to store, one char per byte: text or pretokenised) → the console (CRs removed), where `probe` is code appended to the bundle;
 * it ends the run by printing DONE (after `load()` the Linux build's `quit`
 * is gone: the interpreter is stopped from here), else the run ends after
 * `ms` (+ a margin).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Script that prints the variables in use at the first tick after boot (the source text released): "FIRST-TICK <n>". */
export const firstTickProbe = 'setTimeout(function(){print("FIRST-TICK "+process.memory().usage)},0);';

export const DONE = "EXO-DONE";

/** A string literal the interpreter reads back as exactly these bytes (a pretokenised bundle holds bytes ≥ 128). */
const byteLiteral = (bytes: string): string => JSON.stringify(bytes).replace(/[\x7f-\xff]/g, (c) => "\\x" + c.charCodeAt(0).toString(16));

export async function bootFromStorage(bin: string, code: string, probe: string, options: { ms: number }): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "exo-storage-boot-"));
  const full = code + "\n" + probe;
  if (/[^\x00-\xff]/.test(full)) throw new Error("bootFromStorage: the bundle holds characters beyond one byte; pass the bytes Storage should hold (one char per byte)");
  const lines = ['var S=require("Storage");S.erase(".bootcde");'];
  for (let at = 0; at < full.length; at += 4096) lines.push(`S.write(".bootcde",${byteLiteral(full.slice(at, at + 4096))},${at},${full.length});`);
  lines.push("setTimeout(function(){load()},10);");
  writeFileSync(join(dir, "write.js"), lines.join("\n") + "\n");
  const child = spawn(bin, ["write.js"], { cwd: dir, stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  await new Promise<void>((done) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), options.ms + 10_000);
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("latin1");
      if (out.includes(DONE)) child.kill("SIGKILL");
    });
    child.on("close", () => {
      clearTimeout(timer);
      done();
    });
  });
  return out.replace(/\r/g, "").replace(/>\x1b\[J/g, "");
}
