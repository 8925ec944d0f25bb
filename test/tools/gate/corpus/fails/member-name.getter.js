// A getter in an object literal named with a keyword (of).
var o = { get of() { return 1; } };
if (o.of === 1) console.log("OK");
