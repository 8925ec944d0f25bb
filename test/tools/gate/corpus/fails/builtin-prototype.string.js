// A method read through String.prototype.
if (String.prototype.trim.call("  a ") === "a") console.log("OK");
