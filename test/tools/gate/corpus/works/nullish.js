// ??
var a = null;
var b = 0;
if ((a ?? 5) === 5 && (b ?? 5) === 0) console.log("OK");
