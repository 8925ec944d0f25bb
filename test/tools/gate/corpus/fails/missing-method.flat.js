// Array.prototype.flat and flatMap.
var a = [[1], [2, 3]].flat();
var b = [1, 2].flatMap(function (x) { return [x, x]; });
if (a.length === 3 && b.length === 4) console.log("OK");
