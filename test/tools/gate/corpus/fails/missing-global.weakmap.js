// WeakMap.
var k = {};
var m = new WeakMap();
m.set(k, 1);
if (m.get(k) === 1) console.log("OK");
