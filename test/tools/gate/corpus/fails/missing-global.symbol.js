// Symbol.
var s = Symbol("x");
var o = {};
o[s] = 1;
if (o[s] === 1 && typeof s === "symbol") console.log("OK");
