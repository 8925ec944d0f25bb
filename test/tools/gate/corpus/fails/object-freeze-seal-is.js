// Object.freeze.
var o = Object.freeze({ a: 1 });
try { o.a = 2; } catch (e) {}
if (o.a === 1) console.log("OK");
