// WeakSet.
var k = {};
var s = new WeakSet();
s.add(k);
if (s.has(k)) console.log("OK");
