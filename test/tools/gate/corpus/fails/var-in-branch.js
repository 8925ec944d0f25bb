// A var declared only inside a branch that did not run.
function pick(c) {
  if (c) {
    var v = 1;
  }
  return v === undefined ? "none" : "one";
}
if (pick(false) === "none" && pick(true) === "one") console.log("OK");
