// Template literals, nested and multi-line.
var a = 1;
var s = `x${a}${`y${a + 1}`}
z`;
if (s === "x1y2\nz") console.log("OK");
