// A tagged template.
function t(s, v) { return s[0] + v; }
if (t`a${1}` === "a1") console.log("OK");
