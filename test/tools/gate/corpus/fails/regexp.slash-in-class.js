// A / inside a class ends the literal on the interpreter: a syntax error.
if (/[/]x/.test("/x")) console.log("OK");
