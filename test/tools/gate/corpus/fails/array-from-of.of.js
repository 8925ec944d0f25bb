// Array.of.
var a = Array.of(7);
if (a.length === 1 && a[0] === 7) console.log("OK");
