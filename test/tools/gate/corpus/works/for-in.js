// for...in.
var o = { a: 1, b: 2 };
var keys = "";
for (var k in o) keys += k;
if (keys === "ab") console.log("OK");
