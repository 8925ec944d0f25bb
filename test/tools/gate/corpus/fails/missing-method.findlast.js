// Array.prototype.findLast and reduceRight.
var a = [1, 2, 3, 4];
var last = a.findLast(function (x) { return x % 2 === 1; });
var s = a.reduceRight(function (acc, x) { return acc + x; }, "");
if (last === 3 && s === "4321") console.log("OK");
