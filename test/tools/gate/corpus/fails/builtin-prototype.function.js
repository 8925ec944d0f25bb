// A method read through Function.prototype.
function f() { return this.v; }
if (Function.prototype.call.call(f, { v: 1 }) === 1) console.log("OK");
