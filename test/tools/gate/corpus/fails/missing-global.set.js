// Set.
var s = new Set([1, 1, 2]);
if (s.size === 2) console.log("OK");
