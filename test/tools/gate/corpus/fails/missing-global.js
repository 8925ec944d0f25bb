// Map.
var m = new Map();
m.set("a", 1);
if (m.get("a") === 1) console.log("OK");
