// A variable named of (a keyword to Espruino; minifiers can produce it).
var of = 1;
if (of === 1) console.log("OK");
