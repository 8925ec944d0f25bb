// A default parameter.
function f(x = 2) { return x; }
if (f() === 2) console.log("OK");
