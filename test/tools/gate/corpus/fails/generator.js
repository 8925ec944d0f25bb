// A generator.
function* g() { yield 1; yield 2; }
var it = g();
if (it.next().value === 1 && it.next().value === 2) console.log("OK");
