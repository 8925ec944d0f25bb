// A computed key in an object literal.
var k = "a";
var o = { [k]: 1 };
if (o.a === 1) console.log("OK");
