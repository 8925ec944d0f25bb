// f is declared above the call, but reaches g, declared below it.
function f() { return g(); }
var r = f();
function g() { return 1; }
if (r === 1) console.log("OK");
