// A rest parameter.
function f(a, ...r) { return r.length; }
if (f(1, 2, 3) === 2) console.log("OK");
