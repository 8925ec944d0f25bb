// Optional catch binding.
var ok = false;
try { throw new Error("x"); } catch { ok = true; }
if (ok) console.log("OK");
