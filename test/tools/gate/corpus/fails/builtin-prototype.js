// A method read through Array.prototype.
var s = Array.prototype.slice.call([1, 2, 3], 1);
if (s.length === 2) console.log("OK");
