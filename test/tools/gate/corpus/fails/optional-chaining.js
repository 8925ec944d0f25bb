// Optional chaining.
var o = { a: { b: 1 } };
var n = null;
if (o?.a?.b === 1 && n?.x === undefined) console.log("OK");
