// Assigning to an array's length.
var a = [1, 2, 3];
a.length = 1;
if (a.length === 1 && a[1] === undefined) console.log("OK");
