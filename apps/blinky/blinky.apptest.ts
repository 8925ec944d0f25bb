import assert from "node:assert/strict";
import { test } from "exo/test";

test("the LED turns on at 250 ms and toggles every 250 ms", async (board) => {
  await board.until("blinky: LED toggles every 250 ms");
  await board.run(260 - board.now);
  assert.equal(board.pin("led"), 1);
  await board.run("250ms");
  assert.equal(board.pin("led"), 0);
  await board.run("1s");
  assert.equal(board.edges("led"), 6);
});
