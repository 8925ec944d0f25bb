import assert from "node:assert/strict";
import { test } from "exo/test";

/** The log as (sample number, value) pairs: 8-byte records, u32 little-endian. */
function records(bytes: Uint8Array | undefined): [number, number][] {
  const view = Buffer.from(bytes ?? []);
  const out: [number, number][] = [];
  for (let i = 0; i + 8 <= view.length; i += 8) out.push([view.readUInt32LE(i), view.readUInt32LE(i + 4)]);
  return out;
}

test("every synced sample survives a power cut, and numbering resumes after it", async (board) => {
  await board.until("logger: empty log, starting at #0");
  await board.until("logger: #10 synced");
  const before = records(board.file("logger", "log.a"));
  assert.ok(before.length >= 11, `log.a holds ${before.length} records`);
  assert.deepEqual(before.map(([n]) => n), before.map((_, i) => i));
  board.cut();
  const recovered = await board.until(/logger: recovered \d+ samples/);
  assert.match(recovered, /, intact$/);
  await board.run("1s");
  const after = records(board.file("logger", "log.a"));
  assert.deepEqual(after.slice(0, before.length), before);
  assert.deepEqual(after.map(([n]) => n), after.map((_, i) => i));
});
