// A / inside a class, escaped, or in a RegExp made from a string.
if (/[\/]x/.test("/x") && new RegExp("[/]x").test("/x")) console.log("OK");
