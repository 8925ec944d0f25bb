// Array.from.
var a = Array.from("ab");
if (a.length === 2 && a[1] === "b") console.log("OK");
