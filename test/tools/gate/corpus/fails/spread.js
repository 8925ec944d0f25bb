// Spread in a call.
function f(a, b) { return a + b; }
var args = [1, 2];
if (f(...args) === 3) console.log("OK");
