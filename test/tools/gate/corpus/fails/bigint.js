// A bigint literal.
var b = 10n;
if (typeof b === "bigint") console.log("OK");
