// extends Error.
class MyError extends Error {
  constructor(m) { super(m); this.code = 7; }
}
var e = new MyError("x");
if (e instanceof MyError && e.message === "x" && e.code === 7) console.log("OK");
