// Array.prototype.at.
var a = [1, 2, 3];
if (a.at(-1) === 3) console.log("OK");
