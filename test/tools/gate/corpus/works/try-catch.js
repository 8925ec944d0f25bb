// try/catch/finally, e.stack, e.message.
var log = "";
try {
  try { throw new Error("boom"); } finally { log += "f"; }
} catch (e) {
  log += e.message;
  if (typeof e.stack !== "string") log = "no stack";
}
if (log === "fboom") console.log("OK");
