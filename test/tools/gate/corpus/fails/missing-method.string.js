// String.prototype.trimStart and codePointAt.
var s = "  ab";
if (s.trimStart() === "ab" && s.codePointAt(2) === 97) console.log("OK");
