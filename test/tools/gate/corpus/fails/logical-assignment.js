// ??= (likewise ||= and &&=).
var a = null;
a ??= 3;
if (a === 3) console.log("OK");
