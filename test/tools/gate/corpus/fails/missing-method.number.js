// Number.prototype.toPrecision.
var x = 3.14159;
if (x.toPrecision(3) === "3.14") console.log("OK");
