/** App tests for apps/button: `exo test` (or `npm test`) runs them on the simulated board. */
import assert from "node:assert/strict";
import { test } from "exo/test";

test("a press toggles the LED and is logged", async (board) => {
  await board.until("button: ready, 0 presses so far");
  assert.equal(board.pin("led"), 0);
  board.press("button", "120ms");
  await board.until("button: press 1");
  assert.equal(board.pin("led"), 1);
  await board.run("200ms"); // let go of it first
  board.press("button", "120ms");
  await board.until("button: press 2");
  assert.equal(board.pin("led"), 0);
  assert.equal(board.text("button", "presses.log"), "1\n2\n");
});

test("a bounce within 20 ms is one press", async (board) => {
  await board.until("button: ready");
  board.press("button", "5ms");
  await board.run("10ms");
  board.press("button", "120ms");
  await board.run("500ms");
  assert.equal(board.text("button", "presses.log"), "1\n");
});

test("the count survives a power cut", async (board) => {
  await board.until("button: ready");
  for (let i = 0; i < 3; i++) {
    board.press("button", "100ms");
    await board.run("300ms");
  }
  board.cut();
  await board.until("button: ready, 3 presses so far");
  assert.equal(board.pin("led"), 1);
  board.press("button");
  await board.until("button: press 4");
  assert.equal(board.text("button", "presses.log"), "1\n2\n3\n4\n");
});
