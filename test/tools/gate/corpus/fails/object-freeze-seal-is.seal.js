// Object.seal.
var o = Object.seal({ a: 1 });
try { o.b = 2; } catch (e) {}
if (o.b === undefined) console.log("OK");
